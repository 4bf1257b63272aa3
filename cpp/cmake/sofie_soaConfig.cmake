# CMake package config of sofie_soa: provides the INTERFACE target sofie_soa::core (header-only, C++17).
include("${CMAKE_CURRENT_LIST_DIR}/sofie_soaTargets.cmake")
set(sofie_soa_INCLUDE_DIR "${CMAKE_CURRENT_LIST_DIR}/../include")
