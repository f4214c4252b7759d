# Warnings for the project's own code (third-party sources get none of these).
set(HOTA_WARNINGS -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wpointer-arith -Wformat=2 -Wvla -Wno-unused-parameter)
if(HOTA_WERROR)
  list(APPEND HOTA_WARNINGS -Werror)
endif()

# hota_layer(NAME DIR DEPS... [EXCLUDE file.c...]) builds every .c in DIR, except the files named
# after EXCLUDE, as static library hota_NAME.
function(hota_layer name dir)
  cmake_parse_arguments(PARSE_ARGV 2 _hl "" "" "EXCLUDE")
  file(GLOB _src CONFIGURE_DEPENDS "${dir}/*.c")
  foreach(_x ${_hl_EXCLUDE})
    list(REMOVE_ITEM _src "${dir}/${_x}")
  endforeach()
  if(NOT _src)
    return()
  endif()
  add_library(hota_${name} STATIC ${_src})
  target_include_directories(hota_${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${CMAKE_BINARY_DIR}/include>
    PRIVATE ${CMAKE_SOURCE_DIR}/src)
  target_compile_options(hota_${name} PRIVATE ${HOTA_WARNINGS})
  target_compile_definitions(hota_${name} PRIVATE _POSIX_C_SOURCE=200809L _DEFAULT_SOURCE)
  if(_hl_UNPARSED_ARGUMENTS)
    target_link_libraries(hota_${name} PUBLIC ${_hl_UNPARSED_ARGUMENTS})
  endif()
  set_property(GLOBAL APPEND PROPERTY HOTA_LAYERS hota_${name})
endfunction()
