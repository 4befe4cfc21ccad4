# Install time (cmake_install.cmake): BOOTGATE_SYSCONFDIR is /etc for the prefix /usr (the
# packages), <prefix>/etc for any other, as GNUInstallDirs has it.
if(CMAKE_INSTALL_PREFIX MATCHES "^/usr/?$")
  set(BOOTGATE_SYSCONFDIR /etc)
else()
  set(BOOTGATE_SYSCONFDIR "${CMAKE_INSTALL_PREFIX}/etc")
endif()
