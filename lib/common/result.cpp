#include "common/result.hpp"

#include <cstdio>

namespace dpaccel {

Error errorf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char buf[512];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return Error{buf};
}

}  // namespace dpaccel
