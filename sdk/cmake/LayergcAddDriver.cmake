# layergc_add_driver(<name> <source>... [LIBRARIES <lib>...])
#
# Builds a layergc storage-driver plugin: a MODULE library named exactly <name>.so (the loader
# checks the descriptor's name against the file name), built with hidden visibility and -z defs
# (every symbol resolved at link time, so a plugin never fails at load on a missing one), and
# BOOST_DLL_USE_STD_FS (the host is built with it too). The target is layergc_driver_<name>.
#
# One file, used two ways: the in-tree drivers get it from sdk/CMakeLists.txt, third-party drivers
# from the installed package (find_package(layergc_sdk) includes it). Either way it links
# layergc::sdk, which must exist when the function is called.
#
# Variables read when it is called:
#   LAYERGC_DRIVER_OUTPUT_DIR   where the .so is built (the in-tree build sets
#                               <build>/lib/layergc/drivers, where the built binary looks)
#   LAYERGC_DRIVER_NO_INSTALL   if true, no install() rule
#   LAYERGC_DRIVER_INSTALL_DIR  default "lib/layergc/drivers": literally "lib", not the multiarch
#                               libdir, because the binary looks for its plugins at
#                               ../lib/layergc/drivers relative to itself. Install a third-party
#                               driver with the same prefix as layergc (or copy the .so there).
# Installed in the component "drivers"; each installed driver's target is appended to the global
# property LAYERGC_INSTALLED_DRIVER_TARGETS (the packaging test builds them all before it installs).
function(layergc_add_driver name)
  cmake_parse_arguments(ARG "" "" "LIBRARIES" ${ARGN})
  if(NOT name MATCHES "^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    message(FATAL_ERROR "layergc_add_driver: \"${name}\" is not a driver name (Docker's name for it)")
  endif()
  if(NOT ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "layergc_add_driver(${name}): no source files")
  endif()
  if(NOT TARGET layergc::sdk)
    message(FATAL_ERROR "layergc_add_driver(${name}): the target layergc::sdk is missing "
                        "(call find_package(layergc_sdk REQUIRED) first)")
  endif()
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
    if(NOT LAYERGC_DRIVER_INSTALL_DIR)
      set(LAYERGC_DRIVER_INSTALL_DIR "lib/layergc/drivers")
    endif()
    install(TARGETS ${target} LIBRARY DESTINATION "${LAYERGC_DRIVER_INSTALL_DIR}"
            COMPONENT drivers)
    set_property(GLOBAL APPEND PROPERTY LAYERGC_INSTALLED_DRIVER_TARGETS ${target})
  endif()
endfunction()
