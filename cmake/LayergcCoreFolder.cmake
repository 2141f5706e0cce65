# layergc_core_folder(<folder> [SOURCES src...] [DEPENDS folder...] [CHECK_DIR dir])
#
# One core folder as its own library, layergc_core_<folder>: STATIC with SOURCES, INTERFACE
# (header-only) without. DEPENDS names the core folders it uses directly; that one list is both
# what the library links (layergc_core_<dep>) and what its files may include (core/<dep>/...):
# a build step (cmake/check_core_layering.py, part of `all` and of the library's own build)
# fails naming the file, the line and the declared list when a file includes any other folder.
# The files checked are every *.hpp, *.h and *.cpp in CHECK_DIR (default: the calling
# CMakeLists.txt's folder), found again when a file is added.
#
# Build settings every folder shares (include root, definitions, common packages) come from the
# INTERFACE target layergc_core_base when it exists; folder-specific packages are linked by the
# folder's own CMakeLists.txt.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(LAYERGC_CORE_LAYERING_CHECKER "${CMAKE_CURRENT_LIST_DIR}/check_core_layering.py")

function(layergc_core_folder folder)
  cmake_parse_arguments(ARG "" "CHECK_DIR" "SOURCES;DEPENDS" ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "layergc_core_folder(${folder}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  set(target layergc_core_${folder})
  if(ARG_SOURCES)
    add_library(${target} STATIC ${ARG_SOURCES})
    set(scope PUBLIC)
  else()
    add_library(${target} INTERFACE)
    set(scope INTERFACE)
  endif()
  if(TARGET layergc_core_base)
    target_link_libraries(${target} ${scope} layergc_core_base)
  endif()
  foreach(dep IN LISTS ARG_DEPENDS)
    if(dep STREQUAL folder)
      message(FATAL_ERROR "layergc_core_folder(${folder}): a folder does not depend on itself")
    endif()
    target_link_libraries(${target} ${scope} layergc_core_${dep})
  endforeach()
  set_property(TARGET ${target} PROPERTY LAYERGC_CORE_DEPENDS "${ARG_DEPENDS}")
  set_property(GLOBAL APPEND PROPERTY LAYERGC_CORE_FOLDERS ${folder})

  if(NOT ARG_CHECK_DIR)
    set(ARG_CHECK_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  endif()
  file(GLOB files CONFIGURE_DEPENDS "${ARG_CHECK_DIR}/*.hpp" "${ARG_CHECK_DIR}/*.h" "${ARG_CHECK_DIR}/*.cpp")
  list(SORT files)
  set(stamp "${CMAKE_CURRENT_BINARY_DIR}/${target}.layering")
  string(REPLACE ";" "," declared "${ARG_DEPENDS}")
  add_custom_command(OUTPUT "${stamp}"
    COMMAND Python3::Interpreter "${LAYERGC_CORE_LAYERING_CHECKER}" --folder ${folder}
            "--declared=${declared}" --source-root "${PROJECT_SOURCE_DIR}" --stamp "${stamp}"
            ${files}
    DEPENDS "${LAYERGC_CORE_LAYERING_CHECKER}" ${files}
    COMMENT "Checking that core/${folder} includes only what it declares: ${ARG_DEPENDS}"
    VERBATIM)
  add_custom_target(${target}_layering ALL DEPENDS "${stamp}")
  add_dependencies(${target} ${target}_layering)
endfunction()
