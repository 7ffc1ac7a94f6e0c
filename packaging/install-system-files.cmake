# Installs the systemd unit and the configuration (and, for the .deb, lintian's overrides). Runs at install time, so where they go follows
# the prefix of that install, not the one configured: a /usr install (the .deb CPack builds, in
# any tree) puts them where Debian keeps them, /lib/systemd/system and /etc/qsanfwd; any other
# prefix (`cmake --install build --prefix /opt/qsanfwd`) keeps them under the prefix.
# Set by packaging/CMakeLists.txt: qsanfwd_packaging_dir, qsanfwd_sysconfdir.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(unit_dir /lib/systemd/system)
  set(config_dir /etc/qsanfwd)
  file(INSTALL DESTINATION /usr/share/lintian/overrides TYPE FILE
       FILES "${qsanfwd_packaging_dir}/debian/lintian-overrides" RENAME qsanfwd)
else()
  set(unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
  set(config_dir "${CMAKE_INSTALL_PREFIX}/${qsanfwd_sysconfdir}/qsanfwd")
endif()
# file(INSTALL) is what install() generates: it honours DESTDIR and records the install manifest.
file(INSTALL DESTINATION "${unit_dir}" TYPE FILE
     FILES "${qsanfwd_packaging_dir}/systemd/qsanfwd.service"
           "${qsanfwd_packaging_dir}/systemd/qsanfwd@.service")
# The config may hold a password: readable by root and the service's group only.
file(INSTALL DESTINATION "${config_dir}" TYPE FILE PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ
     FILES "${qsanfwd_packaging_dir}/config.json")
