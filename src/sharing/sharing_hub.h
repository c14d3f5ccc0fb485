// SharingHub: the exchange at the centre of J-CSIP / ISAC-style sharing, over the Store.
// Collections: "national" (TLP:CLEAR/GREEN for the whole community), "sector-<name>" (one per
// critical-infrastructure sector), "org-<id>" (what concerns one organisation: its daily
// infected-host sightings). Every object is stored with its TLP, publisher and recipients, and
// every read goes through tlp_allows().
//
// Anonymised submissions (submit): an organisation posts a STIX 2.1 bundle; the hub
//  - drops the submitter's identity objects and points created_by_ref and every reference to them
//    at the hub's own identity;
//  - removes the properties the submitter listed in `x_iotwatch_private` on an object;
//  - keeps the sealed mapping (object id -> submitter) for the operator only;
//  - assigns a severity: 4 critical (3 or more sectors concerned), 3 high (an indicator with
//    confidence >= 80, or malware), 2 medium (any other indicator), 1 low (observations only);
//  - routes each object to the sectors named in `x_iotwatch_sectors` (bundle or object level) and,
//    when TLP:CLEAR or GREEN, to "national";
//  - merges duplicates (same indicator pattern, or same type and name/value) across submitters,
//    counting reports in `x_iotwatch_reports` without naming who.
#pragma once
#include <string>
#include <vector>

#include "enrich/organisation_registry.h"
#include "sharing/tlp.h"
#include "store/store.h"

namespace iotwatch {

/// Sectors a submission may name (Japan's 14 critical-infrastructure sectors).
const std::vector<std::string>& known_sectors();

struct SubmissionResult {
    std::string status_id;  // "status--<uuid>": deterministic from submitter and content
    size_t accepted = 0;    // objects stored (new or merged)
    size_t merged = 0;      // of which duplicates of stored objects
    size_t dropped_identities = 0;
    int severity = 1;
    std::string severity_reason;
    std::vector<std::string> collections;  // where its objects went
    std::vector<std::string> errors;       // objects refused (index and reason)
    size_t sites = 0;                      // url/domain indicators added to the malicious-site list
};

class SharingHub {
public:
    /// `registry` (may be null) gives sector membership: AMBER objects of a sector collection reach
    /// that sector's members. `hub_identity` is the identity every anonymised object points to.
    SharingHub(Store& store, const OrganisationRegistry* registry,
               std::string hub_identity = "identity--5f1cfa94-6e7e-5b8f-9d8d-8c5d4e1f7a21");

    /// Processes a submission (a bundle's JSON text) from organisation `submitter`. Throws
    /// InputError naming `name` when the text is not a STIX bundle. Its TLP:CLEAR/GREEN indicators
    /// on url:value or domain-name:value also feed the malicious-site list (ACTIVE), with the
    /// source "hub-submission" (never the submitter): the RPZ made from that list goes to every
    /// participating resolver, so AMBER and RED indicators stay out of it.
    SubmissionResult submit(const std::string& bundle_text, const std::string& name, const std::string& submitter,
                            int64_t now_ns);
    /// Publishes one object into a collection (iotwatch's own findings): TLP from its markings.
    void publish(const std::string& collection, const std::string& object_json, const std::string& publisher,
                 const std::vector<std::string>& recipients, int64_t now_ns);

    /// The collections `reader` can see at least one object of (admin: all).
    std::vector<std::string> collections(const Reader& reader);
    /// Objects of a collection that `reader` may read, added after `added_after_ns`, at most `limit`
    /// (by added time, then id); `type` filters by STIX type when not empty.
    std::vector<ShareObjectRow> objects(const Reader& reader, const std::string& collection, int64_t added_after_ns,
                                        size_t limit, const std::string& type = "");

private:
    Store& store_;
    const OrganisationRegistry* registry_;
    std::string hub_identity_;
};

}  // namespace iotwatch
