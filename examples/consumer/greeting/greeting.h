// File: greeting/greeting.h
//
// The consumer's hot library. The static host calls `greet` directly; the hot host calls it
// through libgreeting.so's GreetingApi table (shared/counter.h).

#ifndef CONSUMER_GREETING_GREETING_H_
#define CONSUMER_GREETING_GREETING_H_

#include "shared/counter.h"

namespace consumer {

// Returns e.g. "hello from greeting, count 3".
GreetFn greet;

}  // namespace consumer

#endif  // CONSUMER_GREETING_GREETING_H_
