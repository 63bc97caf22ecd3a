#include "common/error.hpp"

#include <cstring>

namespace cgspawn {
namespace {

std::string compose(const std::string& step, const std::string& object, int err,
                    const std::string& detail) {
  std::string msg = step;
  if (!object.empty()) msg += ": " + object;
  if (err != 0) msg += std::string(": ") + std::strerror(err);
  if (!detail.empty()) msg += (err != 0 ? " (" + detail + ")" : ": " + detail);
  return msg;
}

}  // namespace

Error::Error(ErrorKind kind, std::string step, std::string object, int err,
             const std::string& detail)
    : std::runtime_error(compose(step, object, err, detail)),
      kind_(kind),
      step_(std::move(step)),
      object_(std::move(object)),
      err_(err) {
}

Error Error::refusal(std::string rule, const std::string& detail) {
  Error e(ErrorKind::Refused, "refused by policy (" + rule + ")", {}, 0, detail);
  e.rule_ = std::move(rule);
  return e;
}

void throw_refused(std::string rule, const std::string& detail) {
  throw Error::refusal(std::move(rule), detail);
}

void throw_system(std::string step, std::string object, int err, std::string detail) {
  throw Error(ErrorKind::System, std::move(step), std::move(object), err, detail);
}

void throw_bad_request(std::string step, std::string detail) {
  throw Error(ErrorKind::BadRequest, std::move(step), {}, 0, detail);
}

int exit_status(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::BadRequest:
      return 2;
    case ErrorKind::System:
      return 1;
    case ErrorKind::NotFound:
      return 127;
    case ErrorKind::ExecFailed:
      return 126;
    case ErrorKind::Refused:
      return 4;
  }
  return 1;
}

}  // namespace cgspawn
