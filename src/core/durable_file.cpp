#include "core/durable_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace iotwatch {

namespace {
std::string why() { return std::strerror(errno); }
}  // namespace

void sync_directory(const std::string& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw StoreError(dir + ": cannot open directory: " + why());
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) throw StoreError(dir + ": fsync failed: " + why());
}

void write_file_durably(const std::string& path, std::string_view data) {
    const std::string tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) throw StoreError(tmp + ": cannot create: " + why());
    size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const std::string err = why();
            ::close(fd);
            ::unlink(tmp.c_str());
            throw StoreError(tmp + ": write failed: " + err);
        }
        done += size_t(n);
    }
    if (::fsync(fd) != 0) {
        const std::string err = why();
        ::close(fd);
        ::unlink(tmp.c_str());
        throw StoreError(tmp + ": fsync failed: " + err);
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string err = why();
        ::unlink(tmp.c_str());
        throw StoreError(path + ": cannot rename into place: " + err);
    }
    const auto parent = std::filesystem::path(path).parent_path();
    sync_directory(parent.empty() ? "." : parent.string());
}

std::string read_file_bytes(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw InputError(path, UINT64_MAX, "cannot open: " + why());
    std::string out;
    char buf[1 << 16];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const std::string err = why();
            ::close(fd);
            throw InputError(path, UINT64_MAX, "read failed: " + err);
        }
        if (n == 0) break;
        out.append(buf, size_t(n));
    }
    ::close(fd);
    return out;
}

DirectoryLock::DirectoryLock(const std::string& dir) {
    const std::string path = dir + "/lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd_ < 0) throw StoreError(path + ": cannot open: " + why());
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd_);
        fd_ = -1;
        throw StoreError(dir + " is in use by another process (lock held on " + path + ")");
    }
}

DirectoryLock::~DirectoryLock() {
    if (fd_ >= 0) ::close(fd_);
}

}  // namespace iotwatch
