//! Quay's audit log kinds (`LogEntryKind` rows of Quay's `initdb.py`), by their names.

macro_rules! log_kinds {
    ($($variant:ident => $name:literal,)+) => {
        /// An audit log kind; [`LogKind::as_str`] is Quay's name, which is what we store.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum LogKind {
            $($variant,)+
        }

        impl LogKind {
            pub const ALL: &'static [LogKind] = &[$(LogKind::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(LogKind::$variant => $name,)+
                }
            }

            pub fn parse(name: &str) -> Option<LogKind> {
                match name {
                    $($name => Some(LogKind::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

log_kinds! {
    AccountChangePlan => "account_change_plan",
    AccountChangeCc => "account_change_cc",
    AccountChangePassword => "account_change_password",
    AccountConvert => "account_convert",
    CreateRobot => "create_robot",
    DeleteRobot => "delete_robot",
    CreateRepo => "create_repo",
    PushRepo => "push_repo",
    PushRepoFailed => "push_repo_failed",
    PullRepo => "pull_repo",
    PullRepoFailed => "pull_repo_failed",
    DeleteRepo => "delete_repo",
    CreateTag => "create_tag",
    MoveTag => "move_tag",
    DeleteTag => "delete_tag",
    RevertTag => "revert_tag",
    AddRepoPermission => "add_repo_permission",
    ChangeRepoPermission => "change_repo_permission",
    DeleteRepoPermission => "delete_repo_permission",
    ChangeRepoVisibility => "change_repo_visibility",
    ChangeRepoTrust => "change_repo_trust",
    AddRepoAccesstoken => "add_repo_accesstoken",
    DeleteRepoAccesstoken => "delete_repo_accesstoken",
    SetRepoDescription => "set_repo_description",
    ChangeRepoState => "change_repo_state",
    BuildDockerfile => "build_dockerfile",
    OrgCreateTeam => "org_create_team",
    OrgDeleteTeam => "org_delete_team",
    OrgInviteTeamMember => "org_invite_team_member",
    OrgDeleteTeamMemberInvite => "org_delete_team_member_invite",
    OrgAddTeamMember => "org_add_team_member",
    OrgTeamMemberInviteAccepted => "org_team_member_invite_accepted",
    OrgTeamMemberInviteDeclined => "org_team_member_invite_declined",
    OrgRemoveTeamMember => "org_remove_team_member",
    OrgSetTeamDescription => "org_set_team_description",
    OrgSetTeamRole => "org_set_team_role",
    CreatePrototypePermission => "create_prototype_permission",
    ModifyPrototypePermission => "modify_prototype_permission",
    DeletePrototypePermission => "delete_prototype_permission",
    SetupRepoTrigger => "setup_repo_trigger",
    DeleteRepoTrigger => "delete_repo_trigger",
    CreateApplication => "create_application",
    UpdateApplication => "update_application",
    DeleteApplication => "delete_application",
    ResetApplicationClientSecret => "reset_application_client_secret",
    AddRepoWebhook => "add_repo_webhook",
    DeleteRepoWebhook => "delete_repo_webhook",
    AddRepoNotification => "add_repo_notification",
    DeleteRepoNotification => "delete_repo_notification",
    ResetRepoNotification => "reset_repo_notification",
    RegenerateRobotToken => "regenerate_robot_token",
    RepoVerb => "repo_verb",
    RepoMirrorEnabled => "repo_mirror_enabled",
    RepoMirrorDisabled => "repo_mirror_disabled",
    RepoMirrorConfigChanged => "repo_mirror_config_changed",
    RepoMirrorSyncStarted => "repo_mirror_sync_started",
    RepoMirrorSyncFailed => "repo_mirror_sync_failed",
    RepoMirrorSyncSuccess => "repo_mirror_sync_success",
    RepoMirrorSyncNowRequested => "repo_mirror_sync_now_requested",
    RepoMirrorSyncTagSuccess => "repo_mirror_sync_tag_success",
    RepoMirrorSyncTagFailed => "repo_mirror_sync_tag_failed",
    RepoMirrorSyncTestSuccess => "repo_mirror_sync_test_success",
    RepoMirrorSyncTestFailed => "repo_mirror_sync_test_failed",
    RepoMirrorSyncTestStarted => "repo_mirror_sync_test_started",
    ServiceKeyCreate => "service_key_create",
    ServiceKeyApprove => "service_key_approve",
    ServiceKeyDelete => "service_key_delete",
    ServiceKeyModify => "service_key_modify",
    ServiceKeyExtend => "service_key_extend",
    ServiceKeyRotate => "service_key_rotate",
    TakeOwnership => "take_ownership",
    ManifestLabelAdd => "manifest_label_add",
    ManifestLabelDelete => "manifest_label_delete",
    ChangeTagExpiration => "change_tag_expiration",
    ToggleRepoTrigger => "toggle_repo_trigger",
    CreateAppSpecificToken => "create_app_specific_token",
    RevokeAppSpecificToken => "revoke_app_specific_token",
    CreateProxyCacheConfig => "create_proxy_cache_config",
    DeleteProxyCacheConfig => "delete_proxy_cache_config",
    StartBuildTrigger => "start_build_trigger",
    CancelBuild => "cancel_build",
    OrgCreate => "org_create",
    OrgDelete => "org_delete",
    OrgChangeEmail => "org_change_email",
    OrgChangeInvoicing => "org_change_invoicing",
    OrgChangeTagExpiration => "org_change_tag_expiration",
    OrgChangeName => "org_change_name",
    UserCreate => "user_create",
    UserDelete => "user_delete",
    UserDisable => "user_disable",
    UserEnable => "user_enable",
    UserChangeEmail => "user_change_email",
    UserChangePassword => "user_change_password",
    UserChangeName => "user_change_name",
    UserChangeInvoicing => "user_change_invoicing",
    UserChangeTagExpiration => "user_change_tag_expiration",
    UserChangeMetadata => "user_change_metadata",
    UserGenerateClientKey => "user_generate_client_key",
    LoginSuccess => "login_success",
    LogoutSuccess => "logout_success",
    LoginFailure => "login_failure",
    PermanentlyDeleteTag => "permanently_delete_tag",
    AutopruneTagDelete => "autoprune_tag_delete",
    CreateNamespaceAutoprunePolicy => "create_namespace_autoprune_policy",
    UpdateNamespaceAutoprunePolicy => "update_namespace_autoprune_policy",
    DeleteNamespaceAutoprunePolicy => "delete_namespace_autoprune_policy",
    CreateRepositoryAutoprunePolicy => "create_repository_autoprune_policy",
    UpdateRepositoryAutoprunePolicy => "update_repository_autoprune_policy",
    DeleteRepositoryAutoprunePolicy => "delete_repository_autoprune_policy",
    EnableTeamSync => "enable_team_sync",
    DisableTeamSync => "disable_team_sync",
    ExportLogsSuccess => "export_logs_success",
    ExportLogsFailure => "export_logs_failure",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for kind in LogKind::ALL {
            assert!(seen.insert(kind.as_str()), "duplicate {}", kind.as_str());
            assert_eq!(LogKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(LogKind::parse("nope"), None);
    }
}
