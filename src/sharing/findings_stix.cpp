#include "sharing/findings_stix.h"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/digest.h"
#include "core/timestamp.h"
#include "notify/alert_format.h"

namespace iotwatch {
namespace {

std::string stix_time(int64_t ns) { return format_utc(ns, 3); }

std::string proto_name(uint8_t p) {
    switch (p) {
    case 6: return "tcp";
    case 17: return "udp";
    case 1: return "icmp";
    case 58: return "icmpv6";
    default: return "ip-" + std::to_string(p);
    }
}

nlohmann::json base(const std::string& type, const std::string& id, int64_t created_ns, Tlp tlp) {
    return {{"type", type},
            {"spec_version", "2.1"},
            {"id", type + "--" + id},
            {"created_by_ref", stix_producer_identity()},
            {"created", stix_time(created_ns)},
            {"modified", stix_time(created_ns)},
            {"object_marking_refs", {tlp_marking_id(tlp)}}};
}

}  // namespace

std::vector<std::string> scan_event_stix(const ScanEvent& e, Tlp tlp) {
    // One indicator per (scanner, protocol, port), one sighting per scan event: the indicator's id
    // and pattern do not depend on the time, so later scans of the same port add sightings of it.
    // The pattern names the traffic (source and destination port), not the bare address, so it is
    // not merged by the hub with an alert's indicator for the same address.
    const std::string ikey = "scan|" + e.src.to_string() + "|" + std::to_string(e.protocol) + "|" + std::to_string(e.port);
    const std::string id = uuid5(stix_namespace(), ikey);
    const bool ports = e.protocol == 6 || e.protocol == 17;
    const std::string target = ports ? proto_name(e.protocol) + "/" + std::to_string(e.port) : proto_name(e.protocol) + " echo";
    const std::string value_type = e.src.is_v4() ? "ipv4-addr" : "ipv6-addr";
    std::string pattern = "[network-traffic:src_ref.type = '" + value_type + "' AND network-traffic:src_ref.value = '" +
                          e.src.to_string() + "' AND network-traffic:protocols[*] = '" + proto_name(e.protocol) + "'";
    if (ports) pattern += " AND network-traffic:dst_port = " + std::to_string(e.port);
    pattern += "]";
    char desc[320];
    std::snprintf(desc, sizeof desc,
                  "Scan of %s seen by the darknet telescope: %llu probes to %llu distinct darknet addresses, "
                  "about %.0f probes/s Internet-wide; fingerprints: Mirai %.0f%%, ZMap %.0f%%, masscan %.0f%%.",
                  target.c_str(), (unsigned long long)e.packets, (unsigned long long)e.destinations, e.rate_pps,
                  100 * e.fraction(kFpMirai), 100 * e.fraction(kFpZmap), 100 * e.fraction(kFpMasscan));
    nlohmann::json ind = base("indicator", id, e.start_ns, tlp);
    ind["name"] = "Scanner " + e.src.to_string() + " (" + target + ")";
    ind["description"] = desc;
    ind["indicator_types"] = {"anomalous-activity"};
    ind["pattern"] = pattern;
    ind["pattern_type"] = "stix";
    ind["pattern_version"] = "2.1";
    ind["valid_from"] = stix_time(e.start_ns);
    ind["labels"] = {"scan", target};
    const std::string skey = ikey + "|" + std::to_string(e.start_ns);
    nlohmann::json sig = base("sighting", uuid5(stix_namespace(), "sighting|" + skey), e.end_ns, tlp);
    sig["first_seen"] = stix_time(e.start_ns);
    sig["last_seen"] = stix_time(std::max(e.end_ns, e.start_ns));
    sig["count"] = std::min<uint64_t>(e.packets, 999999999);
    sig["sighting_of_ref"] = "indicator--" + id;
    sig["where_sighted_refs"] = {stix_producer_identity()};
    return {ind.dump(), sig.dump()};
}

std::vector<std::string> dos_attack_stix(const DosAttack& a, Tlp tlp) {
    const std::string key = "dos|" + a.victim.to_string() + "|" + std::to_string(a.protocol) + "|" +
                            std::to_string(a.start_ns);
    const std::string value_type = a.victim.is_v4() ? "ipv4-addr" : "ipv6-addr";
    // SCO ids are UUIDv5 of their value (STIX 2.1 section 2.9), so the same address is one object.
    const std::string addr_id = value_type + "--" + uuid5("00abedb4-aa42-466c-9c01-fed23315a9b7",
                                                          "{\"value\":\"" + a.victim.to_string() + "\"}");
    nlohmann::json addr = {{"type", value_type}, {"spec_version", "2.1"}, {"id", addr_id}, {"value", a.victim.to_string()}};
    nlohmann::json obs = base("observed-data", uuid5(stix_namespace(), key), a.end_ns, tlp);
    obs["first_observed"] = stix_time(a.start_ns);
    obs["last_observed"] = stix_time(std::max(a.end_ns, a.start_ns));
    obs["number_observed"] = std::clamp<uint64_t>(a.packets, 1, 999999999);
    obs["object_refs"] = {addr_id};
    obs["x_iotwatch_kind"] = "dos-victim";
    obs["x_iotwatch_protocol"] = proto_name(a.protocol);
    obs["x_iotwatch_peak_window_packets"] = a.max_window_packets;
    obs["x_iotwatch_attack_rate_pps"] = a.rate_pps;
    obs["x_iotwatch_spoofed_sources"] = a.attackers;
    nlohmann::json ports = nlohmann::json::array();
    for (const auto& [port, n] : a.victim_ports) ports.push_back({{"port", port}, {"packets", n}});
    obs["x_iotwatch_victim_ports"] = ports;
    return {addr.dump(), obs.dump()};
}

std::vector<std::string> cnc_candidate_stix(const IpAddress& server, uint8_t protocol, uint16_t port, double score,
                                            uint64_t clients, uint64_t seed_clients, int64_t seen_ns, Tlp tlp) {
    // One infrastructure and one indicator per (server, protocol, port): recording the server again
    // on a later day changes nothing (their ids do not depend on the day).
    const std::string key = "cnc|" + server.to_string() + "|" + std::to_string(protocol) + "|" + std::to_string(port);
    const std::string target = proto_name(protocol) + "/" + std::to_string(port);
    const std::string value_type = server.is_v4() ? "ipv4-addr" : "ipv6-addr";
    char desc[320];
    std::snprintf(desc, sizeof desc,
                  "Likely command-and-control server from flow records (headers only): %llu clients, %llu of them "
                  "known infected; combined score %.2f (co-occurrence, beaconing, server profile).",
                  (unsigned long long)clients, (unsigned long long)seed_clients, score);
    nlohmann::json infra = base("infrastructure", uuid5(stix_namespace(), "infrastructure|" + key), seen_ns, tlp);
    infra["name"] = "C&C candidate " + server.to_string() + " (" + target + ")";
    infra["description"] = desc;
    infra["infrastructure_types"] = {"command-and-control"};
    infra["first_seen"] = stix_time(seen_ns);
    const std::string ind_id = uuid5(stix_namespace(), "indicator|" + key);
    nlohmann::json ind = base("indicator", ind_id, seen_ns, tlp);
    ind["name"] = "Traffic to C&C candidate " + server.to_string() + " (" + target + ")";
    ind["description"] = desc;
    ind["indicator_types"] = {"malicious-activity"};
    ind["pattern"] = "[network-traffic:dst_ref.type = '" + value_type + "' AND network-traffic:dst_ref.value = '" +
                     server.to_string() + "' AND network-traffic:dst_port = " + std::to_string(port) +
                     " AND network-traffic:protocols[*] = '" + proto_name(protocol) + "']";
    ind["pattern_type"] = "stix";
    ind["pattern_version"] = "2.1";
    ind["valid_from"] = stix_time(seen_ns);
    ind["confidence"] = std::clamp(int(score * 100 + 0.5), 0, 100);
    ind["labels"] = {"c2", target};
    nlohmann::json rel = base("relationship", uuid5(stix_namespace(), "relationship|" + key), seen_ns, tlp);
    rel["relationship_type"] = "indicates";
    rel["source_ref"] = "indicator--" + ind_id;
    rel["target_ref"] = infra["id"];
    return {infra.dump(), ind.dump(), rel.dump()};
}

}  // namespace iotwatch
