// The /etc/passwd and /etc/group lines of an identity that has no account (a
// dynamic user), appended to the copies its mount namespace sees.
#pragma once

#include <string>
#include <string_view>

#include "namespaces/identity.hpp"

namespace cgspawn::ns {

// "NAME:x:UID:GID:GECOS:HOME:SHELL\n". A field holding ':' or a newline would
// forge further fields or entries: Error(BadRequest) naming the field.
std::string passwd_line(const Identity& who, std::string_view gecos);

// "NAME:x:GID:\n" (no members: the user's primary group).
std::string group_line(const Identity& who);

}  // namespace cgspawn::ns
