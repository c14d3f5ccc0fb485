// FindingsStix: iotwatch's own telescope findings as STIX 2.1 objects for the sharing hub.
//  - A scan campaign (Durumeric scan event): an `indicator` for the scanner's traffic to the port
//    (pattern on network-traffic src_ref / protocol / dst_port; indicator_types anomalous-activity;
//    description with packets, distinct darknet destinations, extrapolated rate, tool fingerprints),
//    one per (scanner, protocol, port), and a `sighting` of it per event (first/last seen, count).
//  - A DoS victim (Moore backscatter): the victim's `ipv4-addr` / `ipv6-addr` and an
//    `observed-data` referring to it (first/last observed, number_observed = backscatter packets),
//    with x_iotwatch_ properties (protocol, peak window, extrapolated attack rate, victim ports).
//  - A C&C candidate (iotwatch cnc --record): an `infrastructure` (command-and-control) with the
//    scoring evidence, an `indicator` on traffic to the server's address and port
//    (indicator_types malicious-activity, confidence = score x 100), and the `relationship`
//    indicator -indicates-> infrastructure.
// Ids are UUIDv5 of the event's key, times come from the event: publishing a day twice stores
// nothing new. Every object carries the given TLP marking.
#pragma once
#include <string>
#include <vector>

#include "detect/backscatter_detector.h"
#include "detect/scan_detector.h"
#include "sharing/tlp.h"

namespace iotwatch {

/// Objects (JSON text each) for one scan event.
std::vector<std::string> scan_event_stix(const ScanEvent& e, Tlp tlp);
/// Objects (JSON text each) for one DoS attack's victim.
std::vector<std::string> dos_attack_stix(const DosAttack& a, Tlp tlp);
/// Objects (JSON text each) for one recorded C&C candidate, first seen at `seen_ns`.
std::vector<std::string> cnc_candidate_stix(const IpAddress& server, uint8_t protocol, uint16_t port, double score,
                                            uint64_t clients, uint64_t seed_clients, int64_t seen_ns, Tlp tlp);

}  // namespace iotwatch
