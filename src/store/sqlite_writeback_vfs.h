// SqliteWritebackVfs: a SQLite VFS that wraps the default one and, as a database or WAL file is
// written, asks the kernel to start writing the new data back to disk (Linux sync_file_range,
// SYNC_FILE_RANGE_WRITE) every kWritebackBytes, so that the fsync of a large commit or checkpoint
// finds most of the data already on its way instead of all of it dirty in the page cache.
//
// Why: the store writes a day's rows and the checkpoint state (~60 MB on the 20 M-packet
// benchmark) at the end of the ingest, and closing the database copies the WAL into the file:
// each step ended in an fdatasync that waited for the whole of it (0.14 s for the WAL, 0.09 s for
// the database, of a ~3.8 s run). Started as it is written, the write-back overlaps the work
// that follows. It is RocksDB's `bytes_per_sync` idea. It changes when data reaches the disk,
// not what SQLite writes or when it syncs: durability is SQLite's, unchanged.
//
// Every other call is passed to the wrapped VFS as it is. The requests go through the wrapped
// unix VFS's own descriptor of the file, never one of ours: closing a descriptor of our own would
// release every POSIX lock the process holds on the file, other connections' included. Where
// that descriptor cannot be had (another VFS) or sync_file_range fails (a file system without
// it), the file is written as before. Read-only connections write nothing.
#pragma once
#include <cstdint>

namespace iotwatch {

class SqliteWritebackVfs {
public:
    /// Written bytes of a file between two write-back requests. On the benchmark's 1-worker
    /// ingest, 256 kB was slower (wall medians 3.75 -> 3.93 s, 5 of 5 pairs) and 4 MB no different.
    static constexpr int64_t kWritebackBytes = int64_t(1) << 20;
    /// sqlite3_file_control() opcode of this VFS's files: `*(int64_t*)arg` = the bytes whose
    /// write-back the file has started (a statistic, for tests).
    static constexpr int kStartedBytesOp = 0x10E7;

    /// The VFS's name for sqlite3_open_v2(), registered (not as the default) on the first call;
    /// thread-safe. Null when it could not be registered (the caller then uses the default VFS).
    static const char* name();
};

}  // namespace iotwatch
