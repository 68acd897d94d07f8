// The `bellman._bellman` extension module: Gymnasium-compatible environments over bellman's C++
// envs. python/bellman/__init__.py re-exports everything from here.
#include "bellman/core/error.h"
#include "common.h"

#ifndef BELLMAN_VERSION
#define BELLMAN_VERSION "unknown"
#endif

PYBIND11_MODULE(_bellman, m) {
  namespace py = pybind11;
  m.doc() = "bellman: Gymnasium-compatible environments implemented in C++.";
  m.attr("__version__") = BELLMAN_VERSION;
  // Every bellman::Error thrown by the C++ side (unknown id or kwarg, bad action, step after the
  // episode ended, bad state, ...) becomes bellman.Error, a subclass of Exception.
  py::register_exception<bellman::Error>(m, "Error", PyExc_Exception);
  m.attr("Error").attr("__module__") = "bellman";  // tracebacks read "bellman.Error: ..."
  bellman::python::BindSpaces(m);
  bellman::python::BindEnv(m);
  bellman::python::BindVectorEnv(m);
  bellman::python::BindToyText(m);
  bellman::python::BindTrain(m);
  bellman::python::BindDatasets(m);
  bellman::python::BindMultiAgent(m);
}
