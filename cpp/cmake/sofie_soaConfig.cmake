# CMake package config of sofie_soa.
#   sofie_soa::core     header-only SoA core (layouts, views), C++17, no dependencies.
#   sofie_soa::runtime  kernels, allocators and generated sessions: sofie_soa::core plus alpaka. alpaka comes from
#                       the user first — an existing alpaka::alpaka target, else find_package(alpaka) (CMS software,
#                       spack, conda-forge) — else from the cache variables SOFIE_SOA_ALPAKA_INCLUDE_DIR and
#                       SOFIE_SOA_BOOST_INCLUDE_DIR (alpaka includes Boost.Predef), which
#                       `python -m sofie_soa --alpaka-include-dirs` prints (fetching alpaka once if needed). Without
#                       alpaka's own CMake, enable accelerators with its macros (ALPAKA_ACC_CPU_B_SEQ_T_SEQ_ENABLED,
#                       ...) on your targets.
include("${CMAKE_CURRENT_LIST_DIR}/sofie_soaTargets.cmake")
set(sofie_soa_INCLUDE_DIR "${CMAKE_CURRENT_LIST_DIR}/../include")

if(NOT TARGET sofie_soa::runtime)
  add_library(sofie_soa::runtime INTERFACE IMPORTED)
  target_link_libraries(sofie_soa::runtime INTERFACE sofie_soa::core)
  set(SOFIE_SOA_ALPAKA_INCLUDE_DIR "" CACHE PATH "alpaka include directory (when no alpaka CMake package is used)")
  set(SOFIE_SOA_BOOST_INCLUDE_DIR "" CACHE PATH "Boost include directory for alpaka's Boost.Predef")
  if(NOT TARGET alpaka::alpaka AND NOT SOFIE_SOA_ALPAKA_INCLUDE_DIR)
    find_package(alpaka CONFIG QUIET)
  endif()
  if(TARGET alpaka::alpaka)
    target_link_libraries(sofie_soa::runtime INTERFACE alpaka::alpaka)
  elseif(SOFIE_SOA_ALPAKA_INCLUDE_DIR)
    target_include_directories(sofie_soa::runtime INTERFACE ${SOFIE_SOA_ALPAKA_INCLUDE_DIR} ${SOFIE_SOA_BOOST_INCLUDE_DIR})
    find_package(Threads REQUIRED)
    target_link_libraries(sofie_soa::runtime INTERFACE Threads::Threads)
  else()
    message(WARNING "sofie_soa: no alpaka found; sofie_soa::runtime needs alpaka::alpaka or SOFIE_SOA_ALPAKA_INCLUDE_DIR "
                    "(see `python -m sofie_soa --alpaka-include-dirs`)")
  endif()
endif()
