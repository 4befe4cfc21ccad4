# Install time (cmake_install.cmake, from bootgate_install_unit in CMakeLists.txt): configures
# BOOTGATE_UNIT_TEMPLATE with the install's own paths and installs it as
# <prefix>/lib/systemd/system/BOOTGATE_UNIT_NAME (DESTDIR applies, the manifest lists it).
include("${CMAKE_CURRENT_LIST_DIR}/sysconfdir.cmake")
set(BOOTGATE_SBINDIR "${CMAKE_INSTALL_PREFIX}/sbin")
set(BOOTGATE_BINDIR "${CMAKE_INSTALL_PREFIX}/bin")
set(BOOTGATE_DATADIR "${CMAKE_INSTALL_PREFIX}/share")
# One staging directory per prefix: installs to two prefixes may run at once.
string(MD5 prefix_key "${CMAKE_INSTALL_PREFIX}")
set(staged "${BOOTGATE_UNIT_STAGING}/${prefix_key}/${BOOTGATE_UNIT_NAME}")
configure_file("${BOOTGATE_UNIT_TEMPLATE}" "${staged}" @ONLY)
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" TYPE FILE FILES "${staged}")
