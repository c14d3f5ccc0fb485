#include "notify/outbox.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/digest.h"
#include "core/error.h"
#include "core/json_writer.h"
#include "core/timestamp.h"

namespace iotwatch {
namespace {

void write_atomically(const std::filesystem::path& path, const std::string& bytes) {
    const std::filesystem::path tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw StoreError(tmp.string() + ": cannot create");
        out.write(bytes.data(), std::streamsize(bytes.size()));
        out.flush();
        if (!out) throw StoreError(tmp.string() + ": write failed");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw StoreError(path.string() + ": cannot rename into place: " + ec.message());
}

}  // namespace

std::vector<OutboxFile> write_outbox(const std::string& run_outbox, const AlertFileContext& ctx,
                                     const std::vector<AlertRow>& rows) {
    const std::string day = format_utc_day(ctx.day_s * kNanosPerSecond);
    const std::filesystem::path org_dir =
        ctx.org->outbox.empty() ? std::filesystem::path(run_outbox) / ctx.org->id : std::filesystem::path(ctx.org->outbox);
    const std::filesystem::path dir = org_dir / day;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw StoreError(dir.string() + ": cannot create the outbox folder: " + ec.message());
    std::vector<OutboxFile> files;
    for (const auto& name : ctx.org->formats) {
        const AlertFormat* format = find_alert_format(name);
        if (!format) throw ConfigError("organisation '" + ctx.org->id + "': unknown format '" + name + "'");
        const std::string bytes = format->render(ctx, rows);
        const std::string file = "iotwatch-" + ctx.org->id + "-" + day + format->suffix;
        write_atomically(dir / file, bytes);
        files.push_back({(dir / file).string(), name, sha256_hex(bytes), rows.size(), bytes.size()});
    }
    std::ostringstream manifest;
    JsonWriter w(manifest);
    w.begin_object();
    w.key("organisation").value(ctx.org->id);
    w.key("name").value(ctx.org->name);
    w.key("day").value(day);
    w.key("rows").value(uint64_t(rows.size()));
    w.key("files").begin_array();
    for (const auto& f : files) {
        w.begin_object();
        w.key("file").value(std::filesystem::path(f.path).filename().string());
        w.key("format").value(f.format);
        w.key("sha256").value(f.sha256);
        w.key("rows").value(f.rows);
        w.key("bytes").value(f.bytes);
        w.end_object();
    }
    w.end_array();
    w.end_object();
    manifest << '\n';
    write_atomically(dir / "manifest.json", manifest.str());
    return files;
}

}  // namespace iotwatch
