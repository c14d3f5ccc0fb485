// Outbox: the per-organisation delivery folder of the daily alert files.
//   <org folder>/<YYYY-MM-DD>/iotwatch-<org-id>-<YYYY-MM-DD>.csv|.jsonl|.stix.json
//   <org folder>/<YYYY-MM-DD>/manifest.json   (sha256, rows and bytes of each file)
// The org folder is the registry's `outbox` for the organisation, else <run outbox>/<org-id>.
// Every file is written to a temporary name and renamed, so a reader (or a crash) never sees half
// a file; the contents depend only on the rows, so re-running a day rewrites identical bytes.
// An organisation with no rows that day still gets its (empty) files: "nothing found" is news.
#pragma once
#include <string>
#include <vector>

#include "notify/alert_format.h"

namespace iotwatch {

struct OutboxFile {
    std::string path;    // full path
    std::string format;  // format name
    std::string sha256;
    uint64_t rows = 0;
    uint64_t bytes = 0;
};

/// Writes one organisation's files for one day in each of its formats plus the manifest; returns
/// what was written (manifest excluded). Throws StoreError naming the path on I/O failure.
std::vector<OutboxFile> write_outbox(const std::string& run_outbox, const AlertFileContext& ctx,
                                     const std::vector<AlertRow>& rows);

}  // namespace iotwatch
