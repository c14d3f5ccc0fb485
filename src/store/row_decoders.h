// What both storage backends read the same way: the column lists of the row types they select and
// the decoding of one selected row into its value type. Each decoder takes a result row (SQLite's
// statement or ClickHouse's TsvReader: `text(i)`, `i64(i)`, `f64(i)`) whose columns are those of
// the matching k...Columns list, in that order; it returns nullopt for a row it cannot read (an
// unparsable address or name), which the callers skip. One definition per row type, so the two
// backends cannot drift apart on what a stored row means (they must give identical reports).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detect/backscatter_detector.h"
#include "detect/scan_detector.h"
#include "store/store.h"
#include "survey/survey_outcome.h"

namespace iotwatch::row_decoders {

/// "PORT:COUNT PORT:COUNT ..." (a DoS attack's victim ports as stored); tokens that are not two
/// numbers in range are skipped rather than thrown on (a damaged row must not stop a report).
inline std::vector<std::pair<uint16_t, uint64_t>> parse_port_counts(std::string_view text) {
    std::vector<std::pair<uint16_t, uint64_t>> out;
    auto number = [](std::string_view s, uint64_t limit, uint64_t& v) {
        if (s.empty() || s.size() > 20) return false;
        v = 0;
        for (char c : s) {
            if (c < '0' || c > '9') return false;
            const uint64_t d = uint64_t(c - '0');
            if (v > (limit - d) / 10) return false;
            v = v * 10 + d;
        }
        return true;
    };
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find(' ', pos);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view tok = text.substr(pos, end - pos);
        pos = end + 1;
        const size_t colon = tok.find(':');
        uint64_t port = 0, count = 0;
        if (colon == std::string_view::npos || !number(tok.substr(0, colon), 65535, port) ||
            !number(tok.substr(colon + 1), UINT64_MAX, count))
            continue;
        out.emplace_back(uint16_t(port), count);
    }
    return out;
}

/// A day's source row as both source-day readers select it (the counts a report or an alert
/// needs; not classes, destinations or ports).
inline constexpr char kSourceDayColumns[] =
    "day, src, first_seen_ns, last_seen_ns, packets, bytes, top_ports, sensors, fp_mirai, fp_zmap, fp_masscan, "
    "fp_large_scanner";
template <class Row>
std::optional<SourceDayRow> source_day_from(const Row& r) {
    auto a = IpAddress::parse(r.text(1));
    if (!a) return std::nullopt;
    SourceDayRow s;
    s.day = r.i64(0);
    s.src = *a;
    s.first_seen_ns = r.i64(2);
    s.last_seen_ns = r.i64(3);
    s.packets = uint64_t(r.i64(4));
    s.bytes = uint64_t(r.i64(5));
    s.top_ports = r.text(6);
    s.sensors = uint64_t(r.i64(7));
    for (int f = 0; f < kFingerprintCount; ++f) s.fingerprints[f] = uint64_t(r.i64(8 + f));
    return s;
}

inline constexpr char kScanEventColumns[] =
    "src, protocol, port, start_ns, end_ns, packets, destinations, rate_pps, mirai, zmap, masscan, large_scanner";
template <class Row>
std::optional<ScanEvent> scan_event_from(const Row& r) {
    auto a = IpAddress::parse(r.text(0));
    if (!a) return std::nullopt;
    ScanEvent e;
    e.src = *a;
    e.protocol = uint8_t(r.i64(1));
    e.port = uint16_t(r.i64(2));
    e.start_ns = r.i64(3);
    e.end_ns = r.i64(4);
    e.packets = uint64_t(r.i64(5));
    e.destinations = uint64_t(r.i64(6));
    e.rate_pps = r.f64(7);
    for (int f = 0; f < kFingerprintCount; ++f) e.fingerprint_packets[f] = uint64_t(r.i64(8 + f));
    return e;
}

inline constexpr char kDosAttackColumns[] =
    "victim, protocol, start_ns, end_ns, packets, max_window_packets, rate_pps, attackers, attacker_ports, victim_ports";
template <class Row>
std::optional<DosAttack> dos_attack_from(const Row& r) {
    auto v = IpAddress::parse(r.text(0));
    if (!v) return std::nullopt;
    DosAttack a;
    a.victim = *v;
    a.protocol = uint8_t(r.i64(1));
    a.start_ns = r.i64(2);
    a.end_ns = r.i64(3);
    a.packets = uint64_t(r.i64(4));
    a.max_window_packets = uint64_t(r.i64(5));
    a.rate_pps = r.f64(6);
    a.attackers = uint64_t(r.i64(7));
    a.attacker_ports = uint64_t(r.i64(8));
    a.victim_ports = parse_port_counts(r.text(9));
    return a;
}

inline constexpr char kAlertColumns[] =
    "day, org, address, kind, family, confidence, first_seen_ns, last_seen_ns, protocol, port, ports, packets, "
    "mirai_fraction, source, sensors, asn, country, region, city";
template <class Row>
std::optional<AlertRow> alert_from(const Row& r) {
    auto a = IpAddress::parse(r.text(2));
    if (!a) return std::nullopt;
    AlertRow x;
    x.day = r.i64(0);
    x.org = r.text(1);
    x.address = *a;
    x.kind = r.text(3);
    x.family = r.text(4);
    x.confidence = r.text(5);
    x.first_seen_ns = r.i64(6);
    x.last_seen_ns = r.i64(7);
    x.protocol = uint8_t(r.i64(8));
    x.port = uint16_t(r.i64(9));
    x.ports = r.text(10);
    x.packets = uint64_t(r.i64(11));
    x.mirai_fraction = r.f64(12);
    x.source = r.text(13);
    x.sensors = r.text(14);
    x.asn = uint32_t(r.i64(15));
    x.country = r.text(16);
    x.region = r.text(17);
    x.city = r.text(18);
    return x;
}

inline constexpr char kSurveyResultColumns[] =
    "campaign, address, port, protocol, idx, outcome, credential_id, attempts, started_ns, ended_ns, source_address, "
    "detail";
template <class Row>
std::optional<SurveyResult> survey_result_from(const Row& r) {
    auto a = IpAddress::parse(r.text(1));
    auto o = outcome_from_name(r.text(5));
    if (!a || !o) return std::nullopt;
    SurveyResult s;
    s.campaign = r.text(0);
    s.address = *a;
    s.port = uint16_t(r.i64(2));
    s.protocol = r.text(3);
    s.index = uint64_t(r.i64(4));
    s.outcome = *o;
    s.credential_id = r.text(6);
    s.attempts = uint32_t(r.i64(7));
    s.started_ns = r.i64(8);
    s.ended_ns = r.i64(9);
    s.source_address = r.text(10);
    s.detail = r.text(11);
    return s;
}

/// A flow record of the one-row-per-flow `flow` table (ClickHouse; SQLite's table of earlier
/// versions, still read beside its flow blocks).
inline constexpr char kFlowColumns[] =
    "exporter, domain, version, src, dst, sport, dport, protocol, tcp_flags, packets, octets, start_ns, end_ns, sampling";
template <class Row>
std::optional<FlowRecord> flow_from(const Row& r) {
    auto ex = IpAddress::parse(r.text(0)), src = IpAddress::parse(r.text(3)), dst = IpAddress::parse(r.text(4));
    if (!ex || !src || !dst) return std::nullopt;
    FlowRecord f;
    f.exporter = *ex;
    f.observation_domain = uint32_t(r.i64(1));
    f.version = uint8_t(r.i64(2));
    f.src = *src;
    f.dst = *dst;
    f.sport = uint16_t(r.i64(5));
    f.dport = uint16_t(r.i64(6));
    f.protocol = uint8_t(r.i64(7));
    f.tcp_flags = uint8_t(r.i64(8));
    f.packets = uint64_t(r.i64(9));
    f.octets = uint64_t(r.i64(10));
    f.start_ns = r.i64(11);
    f.end_ns = r.i64(12);
    f.sampling_interval = uint32_t(r.i64(13));
    return f;
}

}  // namespace iotwatch::row_decoders
