// CenterReceiver: the centre's HTTPS endpoint for sensors (cpp-httplib over OpenSSL). TLS only:
// there is no plain-text mode. Each sensor authenticates with its bearer token, whose SHA-256 is in
// the centre's [[sensor]] table; a token names exactly one sensor, and a batch must carry that name.
//
//   GET  /sensor/v1/hello   -> {"sensor": NAME, "next_seq": N}   (what the centre already has)
//   POST /sensor/v1/batch   body: an encoded SensorBatch -> {"acked": SEQ, "duplicate": BOOL}
//
// A batch is acknowledged only after CenterJournal stored it durably; a resend of a stored batch
// is acknowledged as a duplicate. Errors: 400 (damaged batch, naming field and offset), 401 (no
// or unknown token), 403 (batch of another sensor), 503 (the ingest has not resumed yet).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sensor/center_journal.h"

namespace iotwatch {

class CenterReceiver {
public:
    struct SensorToken {
        std::string sensor;
        std::string token_sha256;  // lower-case hex
    };
    struct Options {
        std::string host = "127.0.0.1";
        int port = 0;  // 0: any free port
        std::string tls_cert, tls_key;
        unsigned threads = 8;
    };
    /// `ready` blocks until the journal's consumed floors are known (MergedSensorStream::wait_ready).
    /// Throws ConfigError for unreadable TLS files or a sensor without a token.
    CenterReceiver(Options options, std::vector<SensorToken> tokens, CenterJournal& journal,
                   std::function<void()> ready, std::function<int64_t()> wall_clock);
    ~CenterReceiver();
    CenterReceiver(const CenterReceiver&) = delete;
    CenterReceiver& operator=(const CenterReceiver&) = delete;

    /// Binds; returns the port. Throws ConfigError naming the address when it cannot.
    int bind();
    /// Serves until stop() (blocks).
    void serve();
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace iotwatch
