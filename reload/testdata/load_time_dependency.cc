// A dependency of the load_assert fixture with a global object whose constructor fails an
// assert: the kind of static initializer a module gets from a library it links.

#include <cassert>
#include <string>

namespace hotcc::testing {
namespace {

struct Registration {
  explicit Registration(const char* name) : name(name) {
    assert(this->name.empty() && "a dependency's global object asserts while the module loads");
  }
  std::string name;
};

const Registration registration("load_assert");

}  // namespace
}  // namespace hotcc::testing
