// ApiError: a request the API refuses, with its HTTP status and the parameter at fault. Handlers
// throw it; the server turns it into {"error": message, "parameter": name} with that status, so a
// bad request never reaches the store and never crashes the server.
#pragma once
#include <stdexcept>
#include <string>

namespace iotwatch::server {

class ApiError : public std::runtime_error {
public:
    ApiError(int status, std::string parameter, const std::string& message)
        : std::runtime_error(message), status_(status), parameter_(std::move(parameter)) {}
    int status() const { return status_; }
    /// The query parameter (or path part) at fault; "" when the request as a whole is refused.
    const std::string& parameter() const { return parameter_; }

private:
    int status_;
    std::string parameter_;
};

}  // namespace iotwatch::server
