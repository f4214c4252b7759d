# libhota: every layer's objects plus llhttp, as one static and one shared library.
get_property(_layers GLOBAL PROPERTY HOTA_LAYERS)
set(_objs $<TARGET_OBJECTS:hota_llhttp>)
foreach(l ${_layers})
  list(APPEND _objs $<TARGET_OBJECTS:${l}>)
endforeach()
add_library(hota SHARED ${_objs})
add_library(hota_static STATIC ${_objs})
set_target_properties(hota_static PROPERTIES OUTPUT_NAME hota)
set_target_properties(hota PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
foreach(t hota hota_static)
  target_include_directories(${t} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include> $<INSTALL_INTERFACE:include>)
  target_link_libraries(${t} PUBLIC hota_mbedtls)
endforeach()

install(TARGETS hota hota_static
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/hota DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The .pc file finds its prefix relative to itself, so `cmake --install --prefix` anywhere works.
file(RELATIVE_PATH HOTA_PC_UP "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
configure_file(cmake/hota.pc.in ${CMAKE_BINARY_DIR}/hota.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/hota.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
