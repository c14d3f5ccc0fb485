// Durable small files: write-to-temporary, fsync, rename, fsync the directory. After
// write_file_durably returns, the file survives a crash or power loss with either its old or its
// new content, never a mix; the sensor spool and the centre journal acknowledge nothing before it.
#pragma once
#include <string>
#include <string_view>

namespace iotwatch {

/// Replaces `path` atomically and durably. Throws StoreError naming the path on failure.
void write_file_durably(const std::string& path, std::string_view data);
/// The whole file; throws InputError naming the path when unreadable.
std::string read_file_bytes(const std::string& path);
/// fsync of a directory (after creating or removing entries in it); throws StoreError.
void sync_directory(const std::string& dir);

/// An exclusive lock on `dir`/lock held for this object's lifetime (flock): two processes must not
/// share a spool or journal. Throws StoreError naming the directory when another process holds it.
class DirectoryLock {
public:
    explicit DirectoryLock(const std::string& dir);
    ~DirectoryLock();
    DirectoryLock(const DirectoryLock&) = delete;
    DirectoryLock& operator=(const DirectoryLock&) = delete;

private:
    int fd_ = -1;
};

}  // namespace iotwatch
