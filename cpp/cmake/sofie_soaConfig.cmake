# CMake package config of sofie_soa.
#   sofie_soa::core     header-only SoA core (layouts, views), C++17, no dependencies.
#   sofie_soa::runtime  kernels, allocators and generated sessions: sofie_soa::core plus alpaka. alpaka comes from
#                       the user first — an existing alpaka::alpaka target, else find_package(alpaka) (CMS software,
#                       spack, conda-forge), else SOFIE_SOA_ALPAKA_INCLUDE_DIR when set — and otherwise from the
#                       alpaka headers bundled with the Python package (<package>/alpaka/include). alpaka includes
#                       Boost.Predef: SOFIE_SOA_BOOST_INCLUDE_DIR when set, else the boost-headers wheel next to the
#                       package, else a system boost/predef.h. Without alpaka's own CMake, enable accelerators with
#                       its macros (ALPAKA_ACC_CPU_B_SEQ_T_SEQ_ENABLED, ...) on your targets.
#   Build type          a project that sets no CMAKE_BUILD_TYPE (single-configuration generators) gets Release:
#                       unoptimised sessions run about 3x slower. SOFIE_SOA_KEEP_BUILD_TYPE=ON keeps it empty.
#   SOFIE_SOA_CUDA=ON   (include-directory alpaka only; alpaka's own CMake has alpaka_ACC_GPU_CUDA_ENABLE) builds
#                       sofie_soa::runtime users for alpaka's CUDA back-end: enable the CUDA language in your
#                       project first. It defines ALPAKA_ACC_GPU_CUDA_ENABLED, adds nvcc's --expt-relaxed-constexpr
#                       and --extended-lambda, links CUDA::cudart, and takes curand_kernel.h (which alpaka's CUDA
#                       back-end includes) from SOFIE_SOA_CURAND_INCLUDE_DIR when the CUDA toolkit lacks it
#                       (`python -m sofie_soa --curand-include-dir`). Large GEMMs go to cuBLAS (SOFIE_SOA_CUBLAS,
#                       sofie_soa/runtime/gemm.hpp): the toolkit's CUDA::cublas, else the directory
#                       SOFIE_SOA_CUBLAS_ROOT holding include/cublas_v2.h and lib/libcublas.so*
#                       (`python -m sofie_soa --cublas-root`: the nvidia-cublas wheel); without either, the
#                       DenseKernel.
include("${CMAKE_CURRENT_LIST_DIR}/sofie_soaTargets.cmake")
set(sofie_soa_INCLUDE_DIR "${CMAKE_CURRENT_LIST_DIR}/../include")

option(SOFIE_SOA_KEEP_BUILD_TYPE "do not default an empty CMAKE_BUILD_TYPE to Release" OFF)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES AND NOT SOFIE_SOA_KEEP_BUILD_TYPE)
  message(STATUS "sofie_soa: no CMAKE_BUILD_TYPE given, building Release (SOFIE_SOA_KEEP_BUILD_TYPE=ON keeps none)")
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Choose the type of build (set by sofie_soaConfig.cmake)" FORCE)
endif()

if(NOT TARGET sofie_soa::runtime)
  add_library(sofie_soa::runtime INTERFACE IMPORTED)
  target_link_libraries(sofie_soa::runtime INTERFACE sofie_soa::core)
  set(SOFIE_SOA_ALPAKA_INCLUDE_DIR "" CACHE PATH "alpaka include directory (when no alpaka CMake package is used)")
  set(SOFIE_SOA_BOOST_INCLUDE_DIR "" CACHE PATH "Boost include directory for alpaka's Boost.Predef")
  if(NOT TARGET alpaka::alpaka AND NOT SOFIE_SOA_ALPAKA_INCLUDE_DIR)
    find_package(alpaka CONFIG QUIET)
  endif()
  get_filename_component(_sofie_soa_package "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
  if(NOT TARGET alpaka::alpaka AND NOT SOFIE_SOA_ALPAKA_INCLUDE_DIR
     AND EXISTS "${_sofie_soa_package}/alpaka/include/alpaka/alpaka.hpp")
    set(SOFIE_SOA_ALPAKA_INCLUDE_DIR "${_sofie_soa_package}/alpaka/include" CACHE PATH
        "alpaka include directory (when no alpaka CMake package is used)" FORCE)
  endif()
  if(SOFIE_SOA_ALPAKA_INCLUDE_DIR AND NOT SOFIE_SOA_BOOST_INCLUDE_DIR)
    find_path(_sofie_soa_predef boost/predef.h HINTS "${_sofie_soa_package}/../boost_headers/include")
    if(_sofie_soa_predef)
      set(SOFIE_SOA_BOOST_INCLUDE_DIR "${_sofie_soa_predef}" CACHE PATH
          "Boost include directory for alpaka's Boost.Predef" FORCE)
    else()
      message(WARNING "sofie_soa: alpaka needs Boost.Predef; found no boost/predef.h: pip install boost-headers, "
                      "or set SOFIE_SOA_BOOST_INCLUDE_DIR")
    endif()
  endif()
  if(TARGET alpaka::alpaka)
    target_link_libraries(sofie_soa::runtime INTERFACE alpaka::alpaka)
  elseif(SOFIE_SOA_ALPAKA_INCLUDE_DIR)
    target_include_directories(sofie_soa::runtime INTERFACE ${SOFIE_SOA_ALPAKA_INCLUDE_DIR} ${SOFIE_SOA_BOOST_INCLUDE_DIR})
    find_package(Threads REQUIRED)
    target_link_libraries(sofie_soa::runtime INTERFACE Threads::Threads)
    option(SOFIE_SOA_CUDA "build sofie_soa::runtime users for alpaka's CUDA back-end" OFF)
    set(SOFIE_SOA_CURAND_INCLUDE_DIR "" CACHE PATH "directory of curand_kernel.h when the CUDA toolkit lacks it")
    set(SOFIE_SOA_CUBLAS_ROOT "" CACHE PATH "directory of include/cublas_v2.h and lib/libcublas.so* (no CUDA::cublas)")
    if(SOFIE_SOA_CUDA)
      find_package(CUDAToolkit REQUIRED)
      target_compile_definitions(sofie_soa::runtime INTERFACE ALPAKA_ACC_GPU_CUDA_ENABLED)
      target_compile_options(sofie_soa::runtime INTERFACE
                             $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr --extended-lambda>)
      target_link_libraries(sofie_soa::runtime INTERFACE CUDA::cudart)
      if(SOFIE_SOA_CURAND_INCLUDE_DIR)
        target_include_directories(sofie_soa::runtime INTERFACE ${SOFIE_SOA_CURAND_INCLUDE_DIR})
      endif()
      if(TARGET CUDA::cublas)
        target_link_libraries(sofie_soa::runtime INTERFACE CUDA::cublas)
        target_compile_definitions(sofie_soa::runtime INTERFACE SOFIE_SOA_CUBLAS)
      elseif(SOFIE_SOA_CUBLAS_ROOT)
        file(GLOB _sofie_soa_cublas "${SOFIE_SOA_CUBLAS_ROOT}/lib/libcublas.so*")
        if(NOT _sofie_soa_cublas)
          message(FATAL_ERROR "sofie_soa: no lib/libcublas.so* under SOFIE_SOA_CUBLAS_ROOT=${SOFIE_SOA_CUBLAS_ROOT}")
        endif()
        list(GET _sofie_soa_cublas 0 _sofie_soa_cublas)
        target_include_directories(sofie_soa::runtime INTERFACE ${SOFIE_SOA_CUBLAS_ROOT}/include)
        target_link_libraries(sofie_soa::runtime INTERFACE ${_sofie_soa_cublas})
        target_compile_definitions(sofie_soa::runtime INTERFACE SOFIE_SOA_CUBLAS)
      endif()
    endif()
  else()
    message(WARNING "sofie_soa: no alpaka found (none bundled at ${_sofie_soa_package}/alpaka/include); "
                    "sofie_soa::runtime needs alpaka::alpaka or SOFIE_SOA_ALPAKA_INCLUDE_DIR "
                    "(see `python -m sofie_soa --alpaka-include-dirs`)")
  endif()
endif()
