// The product's fault point: nothing (see fault_point.hpp). Alone in its
// object file, so that cgspawn-faults' own definition replaces it at link.
#include "launcher/trace/fault_point.hpp"

namespace cgspawn {

void fault_point(const char* /*step*/) noexcept {
}

}  // namespace cgspawn
