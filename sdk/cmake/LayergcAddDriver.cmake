# layergc_add_driver(<name> <source>... [LIBRARIES <lib>...])
#
# Builds a layergc storage-driver plugin: a MODULE library named exactly <name>.so (the loader
# checks the descriptor's name against the file name), built with hidden visibility and
# -z defs (every symbol resolved at link time, so a plugin never fails at load on a missing
# one), installed into <prefix>/lib/layergc/drivers (literally "lib", not the multiarch libdir:
# the binary looks for its plugins at ../lib/layergc/drivers relative to itself). Used by the in-tree drivers and, through the
# installed layergc_sdk package, by third-party ones.
function(layergc_add_driver name)
  cmake_parse_arguments(ARG "" "" "LIBRARIES" ${ARGN})
  set(target layergc_driver_${name})
  add_library(${target} MODULE ${ARG_UNPARSED_ARGUMENTS})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME "${name}"
    PREFIX ""
    SUFFIX ".so"
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(DEFINED LAYERGC_DRIVER_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${LAYERGC_DRIVER_OUTPUT_DIR}")
  endif()
  target_compile_definitions(${target} PRIVATE BOOST_DLL_USE_STD_FS)
  target_link_options(${target} PRIVATE "LINKER:-z,defs")
  target_link_libraries(${target} PRIVATE layergc::sdk ${ARG_LIBRARIES})
  if(NOT LAYERGC_DRIVER_NO_INSTALL)
    install(TARGETS ${target} LIBRARY DESTINATION "lib/layergc/drivers"
            COMPONENT drivers)
  endif()
endfunction()
