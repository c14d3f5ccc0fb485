#include "store/sqlite_writeback_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>

namespace iotwatch {
namespace {

constexpr const char* kVfsName = "iotwatch-writeback";
constexpr int64_t kNone = std::numeric_limits<int64_t>::max();

// An open file: this header, then the wrapped VFS's file (szOsFile of it) right after.
struct File {
    sqlite3_file base;  // pMethods: one of kMethods (by the wrapped file's version) once open
    sqlite3_file* real;
    int fd;             // the wrapped file's descriptor (not ours to close), for sync_file_range; -1: none
    int64_t from;       // [from, to): written, not yet handed to write-back (kNone, 0: nothing)
    int64_t to;
    int64_t started;    // bytes handed to write-back so far
};
constexpr int kHeader = static_cast<int>((sizeof(File) + 15) & ~size_t(15));
// Where the unix VFS's unixFile keeps its descriptor (after pMethod, pVfs, pInode), and the least
// size its sqlite3_file must have for that.
constexpr size_t kUnixFileDescriptorOffset = 3 * sizeof(void*);
constexpr int kUnixFileMinSize = static_cast<int>(kUnixFileDescriptorOffset + sizeof(int));

sqlite3_vfs* wrapped(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }
sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }

void start_writeback(File& f) {
    if (f.to <= f.from) return;
    if (::sync_file_range(f.fd, f.from, f.to - f.from, SYNC_FILE_RANGE_WRITE) == 0) f.started += f.to - f.from;
    f.from = kNone;
    f.to = 0;
}

int file_close(sqlite3_file* p) { return real(p)->pMethods->xClose(real(p)); }
int file_read(sqlite3_file* p, void* buf, int n, sqlite3_int64 off) {
    return real(p)->pMethods->xRead(real(p), buf, n, off);
}
int file_write(sqlite3_file* p, const void* buf, int n, sqlite3_int64 off) {
    File& f = *reinterpret_cast<File*>(p);
    const int rc = f.real->pMethods->xWrite(f.real, buf, n, off);
    if (rc == SQLITE_OK && f.fd >= 0) {
        f.from = std::min<int64_t>(f.from, off);
        f.to = std::max<int64_t>(f.to, off + n);
        if (f.to - f.from >= SqliteWritebackVfs::kWritebackBytes) start_writeback(f);
    }
    return rc;
}
int file_truncate(sqlite3_file* p, sqlite3_int64 size) {
    File& f = *reinterpret_cast<File*>(p);
    f.to = std::min<int64_t>(f.to, size);
    return f.real->pMethods->xTruncate(f.real, size);
}
int file_sync(sqlite3_file* p, int flags) {
    File& f = *reinterpret_cast<File*>(p);
    f.from = kNone;  // the sync writes it all back
    f.to = 0;
    return f.real->pMethods->xSync(f.real, flags);
}
int file_size(sqlite3_file* p, sqlite3_int64* size) { return real(p)->pMethods->xFileSize(real(p), size); }
int file_lock(sqlite3_file* p, int level) { return real(p)->pMethods->xLock(real(p), level); }
int file_unlock(sqlite3_file* p, int level) { return real(p)->pMethods->xUnlock(real(p), level); }
int file_check_reserved_lock(sqlite3_file* p, int* out) {
    return real(p)->pMethods->xCheckReservedLock(real(p), out);
}
int file_control(sqlite3_file* p, int op, void* arg) {
    if (op == SqliteWritebackVfs::kStartedBytesOp) {
        *static_cast<int64_t*>(arg) = reinterpret_cast<File*>(p)->started;
        return SQLITE_OK;
    }
    return real(p)->pMethods->xFileControl(real(p), op, arg);
}
int file_sector_size(sqlite3_file* p) { return real(p)->pMethods->xSectorSize(real(p)); }
int file_device_characteristics(sqlite3_file* p) { return real(p)->pMethods->xDeviceCharacteristics(real(p)); }
int file_shm_map(sqlite3_file* p, int page, int size, int extend, void volatile** out) {
    return real(p)->pMethods->xShmMap(real(p), page, size, extend, out);
}
int file_shm_lock(sqlite3_file* p, int offset, int n, int flags) {
    return real(p)->pMethods->xShmLock(real(p), offset, n, flags);
}
void file_shm_barrier(sqlite3_file* p) { real(p)->pMethods->xShmBarrier(real(p)); }
int file_shm_unmap(sqlite3_file* p, int remove) { return real(p)->pMethods->xShmUnmap(real(p), remove); }
int file_fetch(sqlite3_file* p, sqlite3_int64 off, int n, void** out) {
    return real(p)->pMethods->xFetch(real(p), off, n, out);
}
int file_unfetch(sqlite3_file* p, sqlite3_int64 off, void* ptr) {
    return real(p)->pMethods->xUnfetch(real(p), off, ptr);
}

// The same methods at each interface version 1..3: a file offers no more than the one it wraps
// (SQLite checks iVersion before calling the shared-memory and fetch methods).
constexpr sqlite3_io_methods methods(int version) {
    return {version,         file_close,      file_read,        file_write,     file_truncate,
            file_sync,       file_size,       file_lock,        file_unlock,    file_check_reserved_lock,
            file_control,    file_sector_size, file_device_characteristics,
            file_shm_map,    file_shm_lock,   file_shm_barrier, file_shm_unmap, file_fetch,
            file_unfetch};
}
const sqlite3_io_methods kMethods[3] = {methods(1), methods(2), methods(3)};

// The descriptor of a file opened by the unix VFS, or -1. Not a descriptor of our own: POSIX
// record locks belong to the process, and closing any descriptor of a file releases all of them,
// those of the process's other connections to it included (the unix VFS defers its own closes
// for that reason). Its unixFile starts with three pointers and then the descriptor, a layout
// SQLite has kept since 2008 but does not promise: the value is used only when it is an open
// descriptor of the file just opened (same device and inode as its name).
int descriptor_of(const sqlite3_file* real, const char* name) {
    int fd = -1;
    std::memcpy(&fd, reinterpret_cast<const char*>(real) + kUnixFileDescriptorOffset, sizeof fd);
    struct stat by_fd {}, by_name {};
    if (fd < 0 || ::fstat(fd, &by_fd) != 0 || ::stat(name, &by_name) != 0 || by_fd.st_dev != by_name.st_dev ||
        by_fd.st_ino != by_name.st_ino)
        return -1;
    return fd;
}

int vfs_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* p, int flags, int* out_flags) {
    File& f = *reinterpret_cast<File*>(p);
    f.base.pMethods = nullptr;  // until the wrapped file is open: SQLite then does not close it
    f.real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(p) + kHeader);
    f.fd = -1;
    f.from = kNone;
    f.to = 0;
    f.started = 0;
    const int rc = wrapped(vfs)->xOpen(wrapped(vfs), name, f.real, flags, out_flags);
    if (!f.real->pMethods) return rc;
    f.base.pMethods = &kMethods[std::clamp(f.real->pMethods->iVersion, 1, 3) - 1];
    if (rc != SQLITE_OK) return rc;  // closed by SQLite through xClose
    // The database and its WAL, written by this connection; not temporary files (no name) or
    // read-only opens; only from the unix VFS (descriptor_of()).
    if (name && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)) && (flags & SQLITE_OPEN_READWRITE) &&
        std::strncmp(wrapped(vfs)->zName, "unix", 4) == 0 && wrapped(vfs)->szOsFile >= kUnixFileMinSize)
        f.fd = descriptor_of(f.real, name);
    return SQLITE_OK;
}
int vfs_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
    return wrapped(vfs)->xDelete(wrapped(vfs), name, sync_dir);
}
int vfs_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
    return wrapped(vfs)->xAccess(wrapped(vfs), name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
    return wrapped(vfs)->xFullPathname(wrapped(vfs), name, n, out);
}
void* vfs_dl_open(sqlite3_vfs* vfs, const char* name) { return wrapped(vfs)->xDlOpen(wrapped(vfs), name); }
void vfs_dl_error(sqlite3_vfs* vfs, int n, char* out) { wrapped(vfs)->xDlError(wrapped(vfs), n, out); }
void (*vfs_dl_sym(sqlite3_vfs* vfs, void* lib, const char* symbol))(void) {
    return wrapped(vfs)->xDlSym(wrapped(vfs), lib, symbol);
}
void vfs_dl_close(sqlite3_vfs* vfs, void* lib) { wrapped(vfs)->xDlClose(wrapped(vfs), lib); }
int vfs_randomness(sqlite3_vfs* vfs, int n, char* out) { return wrapped(vfs)->xRandomness(wrapped(vfs), n, out); }
int vfs_sleep(sqlite3_vfs* vfs, int us) { return wrapped(vfs)->xSleep(wrapped(vfs), us); }
int vfs_current_time(sqlite3_vfs* vfs, double* out) { return wrapped(vfs)->xCurrentTime(wrapped(vfs), out); }
int vfs_get_last_error(sqlite3_vfs* vfs, int n, char* out) {
    return wrapped(vfs)->xGetLastError(wrapped(vfs), n, out);
}
int vfs_current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) {
    return wrapped(vfs)->xCurrentTimeInt64(wrapped(vfs), out);
}

}  // namespace

const char* SqliteWritebackVfs::name() {
    // Registered once and never changed or unregistered: SQLite keeps a pointer to it.
    static sqlite3_vfs vfs;
    static const bool registered = [] {
        sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
        // Version 2's xCurrentTimeInt64 is the newest method forwarded (version 3's system-call
        // hooks are for SQLite's own tests).
        if (!base || base->iVersion < 2 || base->szOsFile > std::numeric_limits<int>::max() - kHeader) return false;
        vfs.iVersion = 2;
        vfs.szOsFile = kHeader + base->szOsFile;
        vfs.mxPathname = base->mxPathname;
        vfs.zName = kVfsName;
        vfs.pAppData = base;
        vfs.xOpen = vfs_open;
        vfs.xDelete = vfs_delete;
        vfs.xAccess = vfs_access;
        vfs.xFullPathname = vfs_full_pathname;
        vfs.xDlOpen = vfs_dl_open;
        vfs.xDlError = vfs_dl_error;
        vfs.xDlSym = vfs_dl_sym;
        vfs.xDlClose = vfs_dl_close;
        vfs.xRandomness = vfs_randomness;
        vfs.xSleep = vfs_sleep;
        vfs.xCurrentTime = vfs_current_time;
        vfs.xGetLastError = vfs_get_last_error;
        vfs.xCurrentTimeInt64 = vfs_current_time_int64;
        return sqlite3_vfs_register(&vfs, 0) == SQLITE_OK;
    }();
    return registered ? kVfsName : nullptr;
}

}  // namespace iotwatch
