#pragma once

#include <string_view>

namespace qsanfwd::device::rest {

// The paths of the QSAN RESTful API, as the vendor's manual gives them (chapters 3 to 14 of the
// "QSAN RESTful API" manual, one path a chapter, numbered here so; the project's API notes say
// what the manual leaves unsaid). The array client asks for them and
// the simulator answers them: one spelling for both, header-only so that either may include it.
inline constexpr std::string_view auth_get = "/auth/get";                        // 3
inline constexpr std::string_view auth_refresh = "/auth/refresh";                // 4
inline constexpr std::string_view auth_revoke = "/auth/revoke";                  // 5
inline constexpr std::string_view pool_list = "/rest/v1/storage/pool/list";      // 6
inline constexpr std::string_view disk_list = "/rest/v1/storage/disk/list";      // 7
inline constexpr std::string_view volume_list = "/rest/v1/storage/volume/list";  // 8
/// 9: /rest/v1/backup/{backup type}/list
inline constexpr std::string_view backup_list_prefix = "/rest/v1/backup/";
inline constexpr std::string_view backup_list_suffix = "/list";
/// The two backup lists the health monitor reads: prefix, type, suffix.
inline constexpr std::string_view snapshot_task_list = "/rest/v1/backup/snapshot/list";
inline constexpr std::string_view replication_task_list = "/rest/v1/backup/replication/list";
inline constexpr std::string_view log_list = "/rest/v1/log/list";            // 10
inline constexpr std::string_view hardware_info = "/rest/v1/hardware/info";  // 11
/// 12: /rest/v1/hardware/{enc_id}/info, or all/ for every enclosure
inline constexpr std::string_view enclosure_info_prefix = "/rest/v1/hardware/";
inline constexpr std::string_view enclosure_info_suffix = "/info";
inline constexpr std::string_view all_enclosures_info = "/rest/v1/hardware/all/info";
inline constexpr std::string_view iscsi_target_list = "/rest/v1/iscsi/target/list";    // 13
inline constexpr std::string_view iscsi_session_list = "/rest/v1/iscsi/session/list";  // 14

}  // namespace qsanfwd::device::rest
