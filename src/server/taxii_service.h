// TaxiiService: the TAXII 2.1 protocol (OASIS TAXII 2.1, sections 4-5) over the SharingHub:
// discovery, one API root, collections (national, sector-<name>, org-<id>), objects GET with
// added_after / match[type] / match[id] / limit and `next` pagination, manifests, POST of an
// envelope (an anonymised submission, routed by the hub) and the status resource it returns.
// TLP is enforced by the hub on every read. Transport-free: the HTTP server maps requests to these
// calls (under its store lock) and replies with the content type below.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "enrich/organisation_registry.h"
#include "sharing/sharing_hub.h"

namespace iotwatch::server {

inline constexpr const char* kTaxiiContentType = "application/taxii+json;version=2.1";

struct TaxiiReply {
    int status = 200;
    std::string body;                                // JSON
    std::vector<std::pair<std::string, std::string>> headers;  // e.g. X-TAXII-Date-Added-First
};

class TaxiiService {
public:
    TaxiiService(Store& store, const OrganisationRegistry* registry);

    TaxiiReply discovery() const;
    TaxiiReply api_root() const;
    TaxiiReply collections(const Reader& reader);
    TaxiiReply collection(const Reader& reader, const std::string& id);
    /// GET objects (manifest = false) or the manifest (true) of collection `id`.
    TaxiiReply objects(const Reader& reader, const std::string& id, const std::multimap<std::string, std::string>& params,
                       bool manifest);
    /// POST an envelope (`body`) to collection `id`: an anonymised submission by reader.org.
    TaxiiReply add_objects(const Reader& reader, const std::string& id, const std::string& body, int64_t now_ns);
    TaxiiReply status(const Reader& reader, const std::string& status_id) const;

    /// A TAXII error message body.
    static TaxiiReply error(int status, const std::string& title, const std::string& description);

private:
    struct CollectionInfo {
        std::string id, name, title;
        bool can_read = false, can_write = false;
    };
    std::vector<CollectionInfo> visible_collections(const Reader& reader) const;
    const CollectionInfo* find(const std::vector<CollectionInfo>& list, const std::string& id) const;

    Store& store_;
    const OrganisationRegistry* registry_;
    SharingHub hub_;
    std::map<std::string, std::pair<std::string, std::string>> statuses_;  // status id -> (submitter, JSON)
};

}  // namespace iotwatch::server
