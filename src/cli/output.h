// Summaries the CLI prints (text for people, JSON for scripts).
#pragma once
#include <iosfwd>
#include <string>

#include "pipeline/ingest_job.h"

namespace iotwatch::cli {

void print_ingest_summary_text(const IngestResult& r, const Darknet& dn, const std::string& db, std::ostream& out);
void print_ingest_summary_json(const IngestResult& r, const Darknet& dn, const std::string& db, std::ostream& out);

}  // namespace iotwatch::cli
