// File: tools/stateless_check/testdata/call_counter.h
//
// A plain (not hot) library with global state, for the dep_state fixture: its state ends up in
// the module through the dependency, and the check must name the dependency.

#ifndef HOTCC_TOOLS_STATELESS_CHECK_TESTDATA_CALL_COUNTER_H_
#define HOTCC_TOOLS_STATELESS_CHECK_TESTDATA_CALL_COUNTER_H_

namespace hotcc::fixtures {

// Returns how many times it has been called, this call included.
int CountCall();

// Returns how many times it has been called, this call included. Nothing in the fixtures calls
// it, so its object is not linked into the module and its state must not be reported.
int CountUnusedCall();

}  // namespace hotcc::fixtures

#endif  // HOTCC_TOOLS_STATELESS_CHECK_TESTDATA_CALL_COUNTER_H_
