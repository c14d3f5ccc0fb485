#include "core/error.h"

namespace iotwatch {
namespace {
std::string describe(const std::string& source, uint64_t offset, const std::string& what) {
    std::string s = source;
    if (offset != UINT64_MAX) s += ": at byte offset " + std::to_string(offset);
    return s + ": " + what;
}
}  // namespace

InputError::InputError(std::string source, uint64_t offset, std::string what)
    : std::runtime_error(describe(source, offset, what)), source_(std::move(source)), offset_(offset),
      detail_(std::move(what)) {}

}  // namespace iotwatch
