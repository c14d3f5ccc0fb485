// ResumablePacketStream: an endless packet input that IngestJob can checkpoint exactly, such as the
// centre's merge of its sensors' batches. Unlike a file it has no byte offset; it describes where it
// is as an opaque position string that IngestJob stores in its checkpoint, in the same transaction
// as the rows counted up to that position.
//
// Contract (on top of PacketSource's): IngestJob calls seek() once, before the first next(), with
// the position of the checkpoint it resumes ("" when none). position() is the point just after the
// last packet next() returned. before_commit() runs inside the checkpoint's transaction (extra
// rows that must commit with it); committed() after the commit, with the position now durable: the
// stream may then drop what lies before it.
#pragma once
#include <string>

#include "capture/packet_source.h"

namespace iotwatch {

class Store;

class ResumablePacketStream : public PacketSource {
public:
    virtual void seek(const std::string& position) = 0;
    /// Like next(), but may return true with `idle` set and no packet after a quiet spell, so the
    /// caller can checkpoint on time while nothing arrives.
    virtual bool next_or_idle(RawPacket& out, bool& idle) {
        idle = false;
        return next(out);
    }
    virtual std::string position() const = 0;
    virtual void before_commit(Store& /*store*/) {}
    virtual void committed(const std::string& /*position*/) {}
};

}  // namespace iotwatch
