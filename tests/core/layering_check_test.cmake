# ctest core_layering_check: proves that the core folder layering fails the build.
#
# Builds a tiny project with cmake/LayergcCoreFolder.cmake: folders low, mid and high, where mid
# declares low and high declares mid. Then it breaks it three ways and expects each build to fail
# with the checker's message: low includes core/high (upward), high includes core/low (only
# transitive through mid: not declared), and low includes cli/ (above core). Last, the checker
# over the real tree's folders, with the DEPENDS their CMakeLists.txt declare, passes.
cmake_minimum_required(VERSION 3.25)
foreach(v LAYERGC_SOURCE_DIR WORK_DIR)
  if(NOT ${v})
    message(FATAL_ERROR "${v} not set")
  endif()
endforeach()
if(NOT CMAKE_GENERATOR)
  set(CMAKE_GENERATOR "Unix Makefiles")
endif()

set(src "${WORK_DIR}/src")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${src}/core/low" "${src}/core/mid" "${src}/core/high" "${src}/cli")

file(WRITE "${src}/CMakeLists.txt" "
cmake_minimum_required(VERSION 3.25)
project(layering_check CXX)
include(\"${LAYERGC_SOURCE_DIR}/cmake/LayergcCoreFolder.cmake\")
add_library(layergc_core_base INTERFACE)
target_include_directories(layergc_core_base INTERFACE \${PROJECT_SOURCE_DIR})
add_subdirectory(core/low)
add_subdirectory(core/mid)
add_subdirectory(core/high)
")
file(WRITE "${src}/core/low/CMakeLists.txt" "layergc_core_folder(low SOURCES low.cpp)\n")
file(WRITE "${src}/core/mid/CMakeLists.txt" "layergc_core_folder(mid SOURCES mid.cpp DEPENDS low)\n")
file(WRITE "${src}/core/high/CMakeLists.txt" "layergc_core_folder(high SOURCES high.cpp DEPENDS mid)\n")
file(WRITE "${src}/cli/cli.hpp" "#pragma once\n")

function(write_sources low_extra high_extra)
  file(WRITE "${src}/core/low/low.hpp" "#pragma once\nint low();\n")
  file(WRITE "${src}/core/low/low.cpp" "#include \"core/low/low.hpp\"\n${low_extra}\nint low() { return 1; }\n")
  file(WRITE "${src}/core/mid/mid.hpp" "#pragma once\n#include \"core/low/low.hpp\"\nint mid();\n")
  file(WRITE "${src}/core/mid/mid.cpp" "#include \"core/mid/mid.hpp\"\nint mid() { return low() + 1; }\n")
  file(WRITE "${src}/core/high/high.hpp" "#pragma once\n#include \"core/mid/mid.hpp\"\nint high();\n")
  file(WRITE "${src}/core/high/high.cpp"
       "#include \"core/high/high.hpp\"\n${high_extra}\nint high() { return mid() + 1; }\n")
endfunction()

# One build of the tiny project (configured once; each build after a change re-runs the checks,
# as an edit in the real tree does); sets ${out_var} to its output and fails unless the result
# is what `expect` (pass|fail) says.
set(bin "${WORK_DIR}/build")
function(build name expect out_var)
  if(NOT EXISTS "${bin}/CMakeCache.txt")
    execute_process(COMMAND ${CMAKE_COMMAND} -S "${src}" -B "${bin}" -G "${CMAKE_GENERATOR}"
                            -DPython3_EXECUTABLE=${Python3_EXECUTABLE}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "${name}: the tiny project does not configure:\n${out}\n${err}")
    endif()
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} --build "${bin}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(expect STREQUAL "pass" AND NOT rc EQUAL 0)
    message(FATAL_ERROR "${name}: expected the build to pass, it failed:\n${out}\n${err}")
  endif()
  if(expect STREQUAL "fail" AND rc EQUAL 0)
    message(FATAL_ERROR "${name}: expected the build to fail on the layering check, it passed:\n${out}\n${err}")
  endif()
  set(${out_var} "${out}\n${err}" PARENT_SCOPE)
endfunction()

function(expect_text name text haystack)
  string(FIND "${haystack}" "${text}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${name}: the output does not say \"${text}\":\n${haystack}")
  endif()
endfunction()

# Each folder includes only what it declares: the build passes.
write_sources("" "")
build(good pass out)

# Upward: low includes high, and low declares nothing.
write_sources("#include \"core/high/high.hpp\"" "")
build(upward fail out)
expect_text(upward "core/low/low.cpp:2: error: core/low includes core/high/" "${out}")
expect_text(upward "declared dependencies ((none))" "${out}")

# Transitive is not declared: high reaches low through mid, but uses it directly.
write_sources("" "#include \"core/low/low.hpp\"")
build(transitive fail out)
expect_text(transitive "core/high/high.cpp:2: error: core/high includes core/low/" "${out}")
expect_text(transitive "declared dependencies (mid)" "${out}")

# Above core: low includes cli/.
write_sources("#include \"cli/cli.hpp\"" "")
build(above fail out)
expect_text(above "core/low/low.cpp:2: error: core/low includes cli/cli.hpp" "${out}")

# The real tree: every folder, with the DEPENDS its CMakeLists.txt declares, passes the checker.
file(GLOB folders LIST_DIRECTORIES true "${LAYERGC_SOURCE_DIR}/core/*")
set(checked 0)
foreach(dir IN LISTS folders)
  if(NOT EXISTS "${dir}/CMakeLists.txt")
    continue()
  endif()
  file(READ "${dir}/CMakeLists.txt" cml)
  if(NOT cml MATCHES "layergc_core_folder\\(([a-z_]+)")
    continue()
  endif()
  set(folder "${CMAKE_MATCH_1}")
  set(declared "")
  if(cml MATCHES "DEPENDS([ \n\ta-z_]+)\\)")
    string(STRIP "${CMAKE_MATCH_1}" declared)
    string(REGEX REPLACE "[ \n\t]+" "," declared "${declared}")
  endif()
  file(GLOB files "${dir}/*.hpp" "${dir}/*.h" "${dir}/*.cpp")
  execute_process(COMMAND ${Python3_EXECUTABLE} "${LAYERGC_SOURCE_DIR}/cmake/check_core_layering.py"
                          --folder ${folder} --declared=${declared} --source-root "${LAYERGC_SOURCE_DIR}" ${files}
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the real tree's core/${folder} fails the layering check:\n${err}")
  endif()
  math(EXPR checked "${checked} + 1")
endforeach()
if(checked LESS 16)
  message(FATAL_ERROR "checked only ${checked} core folders of the real tree; expected all 16")
endif()
message(STATUS "layering check: a good tree builds, three bad ones fail as expected, ${checked} real folders pass")
