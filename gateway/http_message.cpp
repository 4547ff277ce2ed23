#include "gateway/http_message.hpp"

#include "protocols/json_views.hpp"

namespace ledgerflow {

std::string_view to_string(http_method method) {
  switch (method) {
    case http_method::get: return "GET";
    case http_method::head: return "HEAD";
    case http_method::post: return "POST";
    case http_method::put: return "PUT";
    case http_method::delete_: return "DELETE";
    case http_method::patch: return "PATCH";
    case http_method::options: return "OPTIONS";
    case http_method::other: break;
  }
  return "other";
}

http_response json_response(int status_code, const nlohmann::json& body) {
  http_response response;
  response.status = status_code;
  // Invalid UTF-8 from a stored value must not throw out of a response path.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

http_response error_response(const error& failure) {
  return json_response(http_status(failure.code), error_json(failure));
}

} // namespace ledgerflow
