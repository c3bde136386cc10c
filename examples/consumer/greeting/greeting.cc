#include "greeting/greeting.h"

#include <string>

namespace consumer {

std::string greet(const Counter& counter) {
  return "hello from greeting, count " + std::to_string(counter.count);
}

}  // namespace consumer

HOTCC_DEFINE_MODULE(greeting, consumer::GreetingApi, {&consumer::greet})
