#include "namespaces/no_new_privs.hpp"

#include <sys/prctl.h>

#include <cerrno>

#include "common/error.hpp"

namespace cgspawn::ns {

void set_no_new_privs() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    throw_system("no_new_privs", "PR_SET_NO_NEW_PRIVS", errno);
  const int now = ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  if (now != 1) throw_system("no_new_privs", "PR_GET_NO_NEW_PRIVS", now < 0 ? errno : EPERM);
}

}  // namespace cgspawn::ns
