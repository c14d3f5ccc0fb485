// RequestParams: the query parameters of one API request, parsed and checked. Every accessor
// throws ApiError(400) naming the parameter and what it accepts, so handlers never see a bad value.
// Unknown parameters are rejected too: a typo ("form=") must not silently widen a query.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "store/store.h"

namespace iotwatch::server {

class RequestParams {
public:
    /// `params` as the HTTP layer parsed them; `allowed` lists the names this endpoint takes.
    /// Throws ApiError(400) for a parameter not in `allowed` or given twice.
    RequestParams(const std::multimap<std::string, std::string>& params, const std::set<std::string>& allowed);

    bool has(const std::string& name) const { return values_.count(name) > 0; }
    std::string get(const std::string& name, const std::string& fallback = "") const;

    /// The time range: `day=YYYY-MM-DD` (that UTC day), or `from`/`to` (each YYYY-MM-DD,
    /// YYYY-MM-DDTHH:MM:SSZ or Unix seconds; `to` exclusive), default everything.
    TimeRange range() const;
    /// An integer in [min, max], or `fallback` when absent.
    int64_t integer(const std::string& name, int64_t fallback, int64_t min, int64_t max) const;
    /// A UTC day (YYYY-MM-DD) as seconds since the epoch of its 00:00Z, or nullopt when absent.
    std::optional<int64_t> day(const std::string& name) const;

private:
    std::map<std::string, std::string> values_;
};

}  // namespace iotwatch::server
