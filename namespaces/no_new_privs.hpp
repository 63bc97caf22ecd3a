#pragma once

namespace cgspawn::ns {

// PR_SET_NO_NEW_PRIVS: setuid binaries and file capabilities no longer grant
// anything (so `sudo` inside the server cannot become root). Throws Error.
void set_no_new_privs();

}  // namespace cgspawn::ns
