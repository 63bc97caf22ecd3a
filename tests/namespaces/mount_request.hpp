// Fluent MountRequest for tests (designated initializers trip GCC 12's
// -Wmissing-field-initializers under -Werror).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "namespaces/mounts.hpp"

namespace cgspawn::ns::testing {

class Request {
 public:
  Request& private_tmp() {
    r_.private_tmp = true;
    return *this;
  }
  Request& private_devices() {
    r_.private_devices = true;
    return *this;
  }
  Request& devices(std::vector<std::string> v) {
    r_.devices = std::move(v);
    return *this;
  }
  Request& read_only(std::vector<std::string> v) {
    r_.read_only = std::move(v);
    return *this;
  }
  Request& read_write(std::vector<std::string> v) {
    r_.read_write = std::move(v);
    return *this;
  }
  Request& protect_proc(std::string v) {
    r_.protect_proc = std::move(v);
    return *this;
  }
  operator const MountRequest&() const { return r_; }  // NOLINT: meant to convert

 private:
  MountRequest r_;
};

}  // namespace cgspawn::ns::testing
