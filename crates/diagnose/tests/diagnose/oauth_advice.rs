//! Advice for OAuth2 and Graph failures says exactly what to do (issue 7, item 6b), and the
//! SMTP advice for Microsoft 365, Outlook.com and Google Workspace points to the gateway's
//! OAuth2 login and Graph upstream where they help.

use scanrelay_diagnose::{Cause, Lang, advise, provider};

/// (cause, phrases the English fix must contain, phrases the Korean fix must contain)
const FIXES: &[(Cause, &[&str], &[&str])] = &[
    (
        Cause::OauthNeedsLogin,
        &[
            "scanrelay oauth login NAME",
            "AADSTS700082",
            "7 days",
            "Publish app",
        ],
        &["scanrelay oauth login NAME", "7일", "앱 게시"],
    ),
    (
        Cause::OauthInteractionRequired,
        &["scanrelay oauth login NAME", "MFA", "Conditional Access"],
        &["scanrelay oauth login NAME", "조건부 액세스"],
    ),
    (
        Cause::OauthConsentRequired,
        &[
            "Grant admin consent for",
            "API permissions",
            "scanrelay oauth login NAME",
        ],
        &[
            "관리자 동의 허용",
            "API 사용 권한",
            "scanrelay oauth login NAME",
        ],
    ),
    (
        Cause::OauthAccessDenied,
        &["Test users", "scanrelay oauth login NAME"],
        &["테스트 사용자", "scanrelay oauth login NAME"],
    ),
    (
        Cause::OauthClientSecretWrong,
        &[
            "Value, not its Secret ID",
            "Certificates & secrets",
            "`client_secret_file`",
        ],
        &[
            "'비밀 ID'가 아니라 '값'",
            "인증서 및 비밀",
            "`client_secret_file`",
        ],
    ),
    (
        Cause::OauthClientSecretExpired,
        &[
            "New client secret",
            "Value (not the Secret ID)",
            "restart the gateway",
        ],
        &["새 클라이언트 암호", "'비밀 ID'가 아닌 '값'", "다시 시작"],
    ),
    (
        Cause::OauthFlowNotAllowed,
        &[
            "Allow public client flows",
            "`flow = \"device_code\"`",
            "Desktop app",
        ],
        &[
            "퍼블릭 클라이언트 흐름 허용",
            "`flow = \"device_code\"`",
            "데스크톱 앱",
        ],
    ),
    (
        Cause::OauthAppNotFound,
        &["Application (client) ID", "`client_id`", "`tenant`"],
        &["애플리케이션(클라이언트) ID", "`client_id`", "`tenant`"],
    ),
    (
        Cause::OauthWrongTenant,
        &["Directory (tenant) ID", "`tenant = \"consumers\"`"],
        &["디렉터리(테넌트) ID", "`tenant = \"consumers\"`"],
    ),
    (
        Cause::OauthScopeInvalid,
        &[
            "https://outlook.office.com/SMTP.Send",
            "https://outlook.office365.com/.default",
            "https://graph.microsoft.com/.default",
            "`flow = \"auth_code\"`",
        ],
        &[
            "https://outlook.office.com/SMTP.Send",
            "`flow = \"auth_code\"`",
        ],
    ),
    (
        Cause::OauthRedirectUriMismatch,
        &["Desktop app", "Mobile and desktop applications"],
        &["데스크톱 앱", "모바일 및 데스크톱 애플리케이션"],
    ),
    (
        Cause::OauthDeviceCodeExpired,
        &["scanrelay oauth login NAME", "15 minutes"],
        &["scanrelay oauth login NAME", "15분"],
    ),
    (
        Cause::AuthOauthWrongAudienceOrPermission,
        &[
            "SMTP.Send",
            "SMTP.SendAsApp",
            "https://outlook.office365.com/.default",
            "New-ServicePrincipal",
            "Add-MailboxPermission",
            "scanrelay oauth login NAME",
        ],
        &[
            "SMTP.Send",
            "SMTP.SendAsApp",
            "New-ServicePrincipal",
            "위임된 권한",
        ],
    ),
    (
        Cause::GraphTokenInvalid,
        &["https://graph.microsoft.com", "`kind = \"graph\"`"],
        &["https://graph.microsoft.com", "`kind = \"graph\"`"],
    ),
    (
        Cause::GraphNoPermissionsInToken,
        &[
            "Mail.Send",
            "Application permissions",
            "Grant admin consent",
        ],
        &["Mail.Send", "애플리케이션 권한", "관리자 동의 허용"],
    ),
    (
        Cause::GraphAccessDenied,
        &[
            "Mail.Send",
            "[RAOP]",
            "Test-ApplicationAccessPolicy",
            "RBAC for Applications",
        ],
        &[
            "Mail.Send",
            "[RAOP]",
            "Test-ApplicationAccessPolicy",
            "애플리케이션용 RBAC",
        ],
    ),
    (
        Cause::GraphDraftsNotAllowed,
        &[
            "Mail.ReadWrite",
            "New-ApplicationAccessPolicy",
            "New-ManagementRoleAssignment",
            "Application Mail.ReadWrite",
            "about 3 MB",
        ],
        &[
            "Mail.ReadWrite",
            "New-ApplicationAccessPolicy",
            "New-ManagementScope",
            "3MB",
        ],
    ),
    (
        Cause::GraphMailboxUnavailable,
        &["`mailbox`", "licence", "on-premises"],
        &["`mailbox`", "라이선스", "온-프레미스"],
    ),
    (
        Cause::GraphSendAsDenied,
        &["`from_policy = \"rewrite\"`", "Add-RecipientPermission"],
        &["`from_policy = \"rewrite\"`", "Add-RecipientPermission"],
    ),
    (
        Cause::GraphThrottled,
        &["Retry-After", "MailboxConcurrency"],
        &["Retry-After", "MailboxConcurrency"],
    ),
    (
        Cause::GraphRequestTooLarge,
        &["4 MB", "`kind = \"graph\"`", "Mail.ReadWrite"],
        &["4MB", "`kind = \"graph\"`", "Mail.ReadWrite"],
    ),
];

#[test]
fn every_oauth_and_graph_fix_says_exactly_what_to_do() {
    for &(cause, en, ko) in FIXES {
        for (lang, phrases) in [(Lang::En, en), (Lang::Ko, ko)] {
            let fix = advise(cause, None, lang).fix;
            for phrase in phrases {
                assert!(fix.contains(phrase), "{cause} {lang}: {phrase:?} in {fix}");
            }
        }
    }
}

/// The Korean advice names the screens as the Korean consoles show them.
#[test]
fn korean_oauth_advice_uses_the_korean_screen_names() {
    let all: String = FIXES
        .iter()
        .map(|&(cause, _, _)| advise(cause, None, Lang::Ko).fix)
        .collect::<Vec<_>>()
        .join(" ");
    for term in [
        "Microsoft Entra 관리 센터",
        "앱 등록",
        "API 사용 권한",
        "위임된 권한",
        "애플리케이션 권한",
        "Google 인증 플랫폼",
        "Exchange Online PowerShell",
    ] {
        assert!(all.contains(term), "{term}");
    }
}

#[test]
fn with_account_fills_in_the_account_name() {
    for lang in [Lang::En, Lang::Ko] {
        let advice = advise(Cause::OauthNeedsLogin, None, lang).with_account("office");
        assert!(
            advice.fix.contains("scanrelay oauth login office"),
            "{}",
            advice.fix
        );
        assert!(!advice.fix.contains("NAME"), "{lang}: {}", advice.fix);
        assert!(
            !advice.fix.contains("oauth status"),
            "{lang}: the note stays: {}",
            advice.fix
        );
    }
    let m365 = provider("m365");
    let graph = advise(Cause::AuthBasicAuthDisabled, m365, Lang::En).with_account("scan-3f");
    assert!(graph.fix.contains("oauth = \"scan-3f\""), "{}", graph.fix);
    assert!(
        graph.fix.contains("scanrelay oauth login scan-3f"),
        "{}",
        graph.fix
    );
    let odd = advise(Cause::OauthNeedsLogin, None, Lang::En).with_account("it's \"x\"");
    assert!(
        odd.fix.contains(r#"scanrelay oauth login 'it'\''s "x"'"#),
        "{}",
        odd.fix
    );
    // Advice without the placeholder is left alone.
    let plain = advise(Cause::TlsModeMismatch, None, Lang::En);
    assert_eq!(plain.clone().with_account("office"), plain);
}

/// (provider, cause, language, phrases the fix must contain)
const GATEWAY_OAUTH_CASES: &[(Option<&str>, Cause, Lang, &[&str])] = &[
    (
        None,
        Cause::AuthBasicAuthDisabled,
        Lang::En,
        &[
            "[[oauth]]",
            "`auth = \"oauth2\"`",
            "`oauth = \"NAME\"`",
            "scanrelay oauth login NAME",
        ],
    ),
    (
        None,
        Cause::AuthBasicAuthDisabled,
        Lang::Ko,
        &[
            "[[oauth]]",
            "`auth = \"oauth2\"`",
            "scanrelay oauth login NAME",
        ],
    ),
    (
        Some("m365"),
        Cause::AuthBasicAuthDisabled,
        Lang::En,
        &[
            "`auth = \"oauth2\"`",
            "`flow = \"device_code\"`",
            "scanrelay oauth login NAME",
            "OAuth2 SMTP still needs SMTP AUTH enabled",
            "`kind = \"graph\"`",
        ],
    ),
    (
        Some("m365"),
        Cause::AuthBasicAuthDisabled,
        Lang::Ko,
        &[
            "`auth = \"oauth2\"`",
            "scanrelay oauth login NAME",
            "SMTP인증은 켜져 있어야",
            "`kind = \"graph\"`",
        ],
    ),
    (
        Some("m365"),
        Cause::AuthBadCredentials,
        Lang::En,
        &[
            "`auth = \"oauth2\"`",
            "scanrelay oauth login NAME",
            "`kind = \"graph\"`",
        ],
    ),
    (
        Some("m365"),
        Cause::AuthBadCredentials,
        Lang::Ko,
        &[
            "`auth = \"oauth2\"`",
            "scanrelay oauth login NAME",
            "`kind = \"graph\"`",
        ],
    ),
    (
        Some("outlook"),
        Cause::AuthBadCredentials,
        Lang::En,
        &[
            "`tenant = \"consumers\"`",
            "`provider = \"outlook\"`",
            "`auth = \"oauth2\"`",
            "scanrelay oauth login NAME",
        ],
    ),
    (
        Some("outlook"),
        Cause::AuthBasicAuthDisabled,
        Lang::Ko,
        &[
            "`tenant = \"consumers\"`",
            "`auth = \"oauth2\"`",
            "scanrelay oauth login NAME",
        ],
    ),
    (
        Some("workspace"),
        Cause::AuthAppPasswordRequired,
        Lang::En,
        &[
            "`flow = \"auth_code\"`",
            "Internal",
            "--paste",
            "scanrelay oauth login NAME",
        ],
    ),
    (
        Some("gmail"),
        Cause::AuthBadCredentials,
        Lang::Ko,
        &[
            "`flow = \"auth_code\"`",
            "'내부'",
            "--paste",
            "scanrelay oauth login NAME",
        ],
    ),
];

/// Before issue 7 the gateway could not log in with OAuth2 or send through Graph, so the
/// advice for Basic auth switched off, Outlook.com and Workspace without app passwords
/// could only say "use a device that does OAuth2" or "use another account".
#[test]
fn password_refusals_point_to_the_gateways_oauth2_login() {
    for &(id, cause, lang, phrases) in GATEWAY_OAUTH_CASES {
        let fix = advise(cause, id.and_then(provider), lang).fix;
        for phrase in phrases {
            assert!(
                fix.contains(phrase),
                "{id:?} {cause} {lang}: {phrase:?} in {fix}"
            );
        }
    }
}

/// Tenant-wide SMTP AUTH off blocks OAuth2 SMTP too (providers.md A.3): the fix must not
/// offer the gateway's OAuth2 SMTP login as the way out, but Graph and the mailbox switch.
#[test]
fn smtp_auth_disabled_offers_graph_not_oauth_smtp() {
    let m365 = provider("m365");
    for (lang, must) in [
        (
            Lang::En,
            &[
                "moving the device or the gateway to OAuth2 does not help",
                "`kind = \"graph\"`",
                "Set-CASMailbox",
            ],
        ),
        (
            Lang::Ko,
            &[
                "복합기나 게이트웨이를 OAuth2로 바꿔도 해결되지 않습니다",
                "`kind = \"graph\"`",
                "Set-CASMailbox",
            ],
        ),
    ] {
        let fix = advise(Cause::AuthSmtpAuthDisabled, m365, lang).fix;
        for phrase in must {
            assert!(fix.contains(phrase), "{lang}: {phrase:?} in {fix}");
        }
        assert!(!fix.contains("auth = \"oauth2\""), "{lang}: {fix}");
    }
}

/// Microsoft 365's size limit is the mailbox's maximum send size, over SMTP and Graph.
#[test]
fn microsoft_size_advice_names_the_mailbox_limit() {
    let m365 = provider("m365");
    assert!(
        advise(Cause::MessageTooLarge, m365, Lang::En)
            .fix
            .contains("-MaxSendSize")
    );
    assert!(
        advise(Cause::MessageTooLarge, m365, Lang::Ko)
            .fix
            .contains("-MaxSendSize")
    );
}
