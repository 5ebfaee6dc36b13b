//! Advice in English for OAuth2 sign-in (token endpoint) and Microsoft Graph failures, and
//! for an OAuth2 token refused by an SMTP server: written for the administrator of the
//! gateway and of the Microsoft Entra / Google Cloud app, since no device setting is
//! involved. `NAME` stands for the `[[oauth]]` account; [`crate::Advice::with_account`]
//! puts the real name in.

use crate::Cause;
use crate::advice::Text;

const fn t(summary: &'static str, fix: &'static str) -> Text {
    Text { summary, fix }
}

/// The OAuth2 and Graph advice, one entry per cause (English).
pub(crate) static OAUTH: [(Cause, Text); 23] = [
    (
        Cause::AuthOauthWrongAudienceOrPermission,
        t(
            "The SMTP server refused the OAuth2 token: it was issued for another service, or the \
             app lacks the SMTP permission for this mailbox.",
            concat!(
                "Microsoft 365 answers 535 5.7.3 when the token is not for Exchange SMTP (for \
                 example a Microsoft Graph token), when the app lacks the SMTP permission, or when \
                 the XOAUTH2 user is not the mailbox. With a user sign-in: add the delegated \
                 permission SMTP.Send (Microsoft Entra admin center > App registrations > the app \
                 > API permissions > Add a permission > Microsoft Graph > Delegated permissions), \
                 let the account use the scope https://outlook.office.com/SMTP.Send (leave \
                 `scopes` out of the [[oauth]] account for the defaults), then run `scanrelay \
                 oauth login NAME`",
                name_note_en!(),
                ". App-only (client credentials): add SMTP.SendAsApp (Add a permission > APIs my \
                 organization uses > Office 365 Exchange Online > Application permissions), press \
                 Grant admin consent, use the scope https://outlook.office365.com/.default, and in \
                 Exchange Online PowerShell register the app and give it the mailbox: \
                 `New-ServicePrincipal -AppId <client id> -ObjectId <object id of the enterprise \
                 application>`, then `Add-MailboxPermission -Identity <mailbox> -User <service \
                 principal id> -AccessRights FullAccess`. Either way `username` in [upstream] must \
                 be the mailbox address, and SMTP AUTH must be enabled for that mailbox."
            ),
        ),
    ),
    (
        Cause::OauthNeedsLogin,
        t(
            "The OAuth2 sign-in of this account has expired or was revoked: its refresh token no \
             longer works, so someone must sign in again.",
            concat!(
                "Run `scanrelay oauth login NAME` on the gateway's host and sign in as the sending \
                 mailbox",
                name_note_en!(),
                ". A gateway that uses the account holds its mail meanwhile (nothing is bounced for \
                 this) and delivers it by itself once the new sign-in is stored. Why it happens: \
                 Microsoft ends a sign-in that was not used for 90 days (AADSTS700082), after a \
                 password change or reset (AADSTS50173) and when an administrator revokes the \
                 user's sessions; Google ends it when the user removes the app's access, changes \
                 the password or leaves it unused for 6 months, and after only 7 days while the \
                 app's publishing status is Testing. For Google, open Google Cloud console > \
                 Google Auth Platform > Audience and press Publish app (or make the app Internal in \
                 a Workspace domain), then sign in again, so that the sign-in stops expiring every \
                 week."
            ),
        ),
    ),
    (
        Cause::OauthInteractionRequired,
        t(
            "The sign-in needs the user to take part (multi-factor authentication or a \
             Conditional Access check), so it cannot be renewed in the background.",
            concat!(
                "Run `scanrelay oauth login NAME`",
                name_note_en!(),
                " and finish the sign-in in the browser, including the MFA prompt (AADSTS50076) \
                 or the MFA registration (AADSTS50079). If this comes back every few hours or days, \
                 a Conditional Access policy's sign-in frequency ends the sign-in: ask the \
                 Microsoft Entra administrator to exclude the sending mailbox or the app from that \
                 policy (Microsoft Entra admin center > Protection > Conditional Access), or use \
                 app-only sending (`flow = \"client_credentials\"` with a client secret), which \
                 has no user sign-in."
            ),
        ),
    ),
    (
        Cause::OauthConsentRequired,
        t(
            "Nobody has consented to the permissions the app asks for: a user or an \
             administrator must grant them first.",
            concat!(
                "Microsoft: an administrator opens Microsoft Entra admin center > App \
                 registrations > the app > API permissions, checks that the needed permissions \
                 are listed (SMTP.Send for SMTP with a user sign-in; SMTP.SendAsApp under APIs my \
                 organization uses > Office 365 Exchange Online, or Microsoft Graph Mail.Send, for \
                 app-only sending) and presses \"Grant admin consent for <organisation>\" \
                 (AADSTS65001, AADSTS90094). AADSTS500011 (resource principal not found) means \
                 the organisation has no Exchange Online or the account names the wrong one: set \
                 `tenant` to the directory (tenant) ID or domain of the organisation that owns the \
                 mailbox. Google: in a Workspace domain the administrator allows the app in the \
                 Admin console (Security > Access and data control > API controls > Manage \
                 Third-Party App Access). Then run `scanrelay oauth login NAME`",
                name_note_en!(),
                "; an app-only account needs no sign-in."
            ),
        ),
    ),
    (
        Cause::OauthAccessDenied,
        t(
            "The sign-in was declined: the user pressed Cancel or Deny, or a policy blocks this \
             user or app.",
            concat!(
                "Run `scanrelay oauth login NAME`",
                name_note_en!(),
                " again and accept the permissions the app asks for. Google: while the app's \
                 publishing status is Testing, only its test users may sign in: add the mailbox \
                 under Google Cloud console > Google Auth Platform > Audience > Test users, or \
                 publish the app. Microsoft: AADSTS53003 means a Conditional Access policy blocks \
                 the sign-in, AADSTS50057 and AADSTS50053 that the account is disabled or locked; \
                 the Microsoft Entra administrator must allow the sign-in (the user's Sign-in logs \
                 in Microsoft Entra admin center name the policy)."
            ),
        ),
    ),
    (
        Cause::OauthClientSecretWrong,
        t(
            "The sign-in server refused the app's client secret.",
            "The client secret file must hold the secret's Value, not its Secret ID \
             (AADSTS7000215). In Microsoft Entra admin center > App registrations > the app > \
             Certificates & secrets, the Value is shown only once, right after New client secret; \
             if it was not copied then, create a new secret, put its Value alone into the file \
             that `client_secret_file` of the [[oauth]] account names, restart the gateway and \
             delete the old secret. Google: use the client secret of the same OAuth client whose \
             client ID is configured (Google Cloud console > Google Auth Platform > Clients), or \
             add a new secret there.",
        ),
    ),
    (
        Cause::OauthClientSecretExpired,
        t(
            "The app's client secret has expired.",
            "Create a new secret in Microsoft Entra admin center > App registrations > the app > \
             Certificates & secrets > New client secret, put its Value (not the Secret ID) into \
             the file that `client_secret_file` of the [[oauth]] account names, restart the \
             gateway, and delete the expired secret (AADSTS7000222). A client secret lasts at \
             most 24 months: note the new expiry date and renew the secret before it.",
        ),
    ),
    (
        Cause::OauthFlowNotAllowed,
        t(
            "The app registration does not allow the sign-in flow this account uses, or the flow \
             wants a client secret that is missing (or none at all).",
            concat!(
                "Make the [[oauth]] account's `flow` and the app agree. Microsoft device code \
                 (`flow = \"device_code\"`) needs Microsoft Entra admin center > App registrations \
                 > the app > Authentication > Allow public client flows = Yes, and no client \
                 secret: AADSTS7000218 (the request must contain a client secret) means that \
                 switch is off, AADSTS700025 that a secret was sent for a public client (remove \
                 `client_secret_file`). App-only sending (`flow = \"client_credentials\"`) needs a \
                 client secret in `client_secret_file`. Google: `flow = \"auth_code\"` needs an \
                 OAuth client of type Desktop app, and its client secret in `client_secret_file` \
                 (Google asks for it even with PKCE). Then run `scanrelay oauth login NAME`",
                name_note_en!(),
                "."
            ),
        ),
    ),
    (
        Cause::OauthAppNotFound,
        t(
            "The sign-in server does not know the app's client ID in this directory.",
            "Check `client_id` in the [[oauth]] account: it must be the Application (client) ID \
             from Microsoft Entra admin center > App registrations > the app > Overview (not its \
             Object ID or a Secret ID), or the Client ID of the OAuth client in Google Cloud \
             console > Google Auth Platform > Clients. Microsoft's AADSTS700016 also appears when \
             `tenant` names another organisation than the one where the app is registered, or \
             when an app for a single organisation is used with `tenant = \"organizations\"` or \
             `tenant = \"common\"`: set `tenant` to the app's Directory (tenant) ID, or let the \
             app accept accounts in any organisation (Authentication > Supported account types).",
        ),
    ),
    (
        Cause::OauthWrongTenant,
        t(
            "The tenant in the account's settings is wrong: it does not exist, or the user or \
             the app is not in it.",
            concat!(
                "Set `tenant` in the [[oauth]] account to the Directory (tenant) ID shown on \
                 Microsoft Entra admin center > Overview, or to a domain of the organisation \
                 (contoso.onmicrosoft.com or a verified domain). AADSTS90002 means that tenant does \
                 not exist in this cloud (for a national cloud set `authority`); AADSTS50020 means \
                 the signed-in user is not in that tenant; AADSTS50194 means the app accepts only \
                 its own organisation, so use its tenant ID instead of \"common\" or \
                 \"organizations\". A personal Outlook.com account needs `tenant = \"consumers\"` \
                 and an app that accepts personal Microsoft accounts. Then run `scanrelay oauth \
                 login NAME`",
                name_note_en!(),
                "."
            ),
        ),
    ),
    (
        Cause::OauthScopeInvalid,
        t(
            "The scopes the account asks for are not valid for this app, provider or flow.",
            concat!(
                "Leave `scopes` out of the [[oauth]] account to use the defaults for its provider, \
                 flow and use, or correct them: Microsoft SMTP with a user sign-in needs \
                 https://outlook.office.com/SMTP.Send (and \"offline_access\" for a refresh token); \
                 app-only needs one .default scope, https://outlook.office365.com/.default for SMTP \
                 or https://graph.microsoft.com/.default for Graph (AADSTS1002012). AADSTS70011 \
                 names the scope that is wrong, AADSTS900144 a parameter that is missing. Google \
                 SMTP needs https://mail.google.com/, which Google's device flow refuses: use \
                 `flow = \"auth_code\"` with a Desktop app client. Then run `scanrelay oauth login \
                 NAME`",
                name_note_en!(),
                "."
            ),
        ),
    ),
    (
        Cause::OauthRedirectUriMismatch,
        t(
            "The address the browser sign-in returns to is not registered for the app.",
            concat!(
                "`scanrelay oauth login NAME`",
                name_note_en!(),
                " takes the browser's answer on a loopback address (http://127.0.0.1 on a port \
                 chosen at run time). Google: use an OAuth client of type Desktop app, which \
                 accepts loopback addresses on any port; a Web application client accepts only the \
                 exact addresses listed for it. Microsoft: in Microsoft Entra admin center > App \
                 registrations > the app > Authentication, add the platform Mobile and desktop \
                 applications with the redirect URI that AADSTS50011 quotes, or use the device \
                 code flow (`flow = \"device_code\"`), which needs no redirect URI."
            ),
        ),
    ),
    (
        Cause::OauthDeviceCodeExpired,
        t(
            "The device-code sign-in was not finished in time, or the code entered was wrong.",
            concat!(
                "Run `scanrelay oauth login NAME`",
                name_note_en!(),
                " again, open the address it prints in any browser and enter the new code exactly \
                 as printed before it expires (usually 15 minutes); a code from an earlier run \
                 does not work any more."
            ),
        ),
    ),
    (
        Cause::OauthTemporarilyUnavailable,
        t(
            "The sign-in server reported a temporary problem.",
            "Nothing needs to change: try again in a few minutes. A gateway keeps the mail queued \
             and asks for a token again by itself. If it lasts, check that the gateway's host \
             reaches the sign-in server (login.microsoftonline.com, oauth2.googleapis.com) \
             through its proxy and firewall.",
        ),
    ),
    (
        Cause::OauthRequestRejected,
        t(
            "The sign-in server refused the request for a reason not listed here.",
            concat!(
                "Read the error and its description: a Microsoft AADSTS number names the reason \
                 (look it up at https://login.microsoftonline.com/error?code=NUMBER). Compare the \
                 [[oauth]] account's `provider`, `tenant`, `client_id` and `flow` with the app \
                 registration, then run `scanrelay oauth login NAME`",
                name_note_en!(),
                "."
            ),
        ),
    ),
    (
        Cause::GraphTokenInvalid,
        t(
            "Microsoft Graph refused the access token: it has expired, or it was issued for \
             another service.",
            concat!(
                "An expired token is renewed automatically; if Graph keeps refusing, the token is \
                 not a Graph token. The [[oauth]] account that a Graph [upstream] (`kind = \
                 \"graph\"`) names in `oauth` must get tokens for https://graph.microsoft.com: \
                 leave its `scopes` out for the defaults (app-only: \
                 https://graph.microsoft.com/.default), and do not share it with an SMTP upstream, \
                 whose tokens are for https://outlook.office.com. After changing the scopes of a \
                 user sign-in run `scanrelay oauth login NAME`",
                name_note_en!(),
                ". Check the gateway host's clock, too."
            ),
        ),
    ),
    (
        Cause::GraphNoPermissionsInToken,
        t(
            "The access token carries no Microsoft Graph mail permission (no Mail.Send).",
            concat!(
                "In Microsoft Entra admin center > App registrations > the app > API permissions > \
                 Add a permission > Microsoft Graph, add Mail.Send (Application permissions for \
                 app-only sending, Delegated permissions for a user sign-in), press \"Grant admin \
                 consent for <organisation>\" and wait until the status shows it granted. The next \
                 app-only token carries the permission (within the hour, or at once after a \
                 restart of the gateway); for a user sign-in run `scanrelay oauth login NAME`",
                name_note_en!(),
                ". An application's Mail.Send reaches every mailbox of the organisation: limit it \
                 to the scanner's mailbox with an application access policy \
                 (`New-ApplicationAccessPolicy`) or RBAC for Applications in Exchange Online \
                 PowerShell."
            ),
        ),
    ),
    (
        Cause::GraphAccessDenied,
        t(
            "Microsoft Graph denied access to the mailbox: the app lacks Mail.Send, or an Exchange \
             policy keeps the app out of this mailbox.",
            "Check in Microsoft Entra admin center > App registrations > the app > API permissions \
             that Microsoft Graph Mail.Send is listed and admin consent granted (an Application \
             permission for app-only sending, Delegated for a user sign-in, which can only send \
             from the signed-in user's own mailbox). If the message says \"[RAOP] Blocked by \
             tenant configured AppOnly AccessPolicy\", an application access policy limits the app \
             to some mailboxes and this one is not among them: add the mailbox (`mailbox` in the \
             Graph [upstream]) to the mail-enabled security group of the policy \
             (`Get-ApplicationAccessPolicy` and `Test-ApplicationAccessPolicy -Identity <mailbox> \
             -AppId <client id>` in Exchange Online PowerShell). With RBAC for Applications, the \
             management scope of the app's role assignment must include the mailbox \
             (`Test-ServicePrincipalAuthorization -Identity <client id> -Resource <mailbox>`). \
             Such changes take from 30 minutes to 2 hours to apply.",
        ),
    ),
    (
        Cause::GraphDraftsNotAllowed,
        t(
            "The message is too large for one Graph sendMail request, and the app may not create \
             the draft that a larger message needs (it has Mail.Send but not Mail.ReadWrite).",
            "Messages under about 3 MB still go out; larger ones stay in the queue with this \
             cause. Give the app Mail.ReadWrite on the scanner's mailbox only, so that it cannot \
             read any other mailbox, in one of two ways (Exchange Online PowerShell): 1) grant \
             Microsoft Graph Mail.ReadWrite as an Application permission in Microsoft Entra admin \
             center (App registrations > the app > API permissions > Add a permission, then Grant \
             admin consent) and limit the app with an application access policy: \
             `New-ApplicationAccessPolicy -AppId <client id> -PolicyScopeGroupId <mail-enabled \
             security group with the mailbox> -AccessRight RestrictAccess -Description scanner`; \
             2) or grant it through RBAC for Applications alone, without the Entra permission \
             (which would apply to every mailbox): `New-ServicePrincipal -AppId <client id> \
             -ObjectId <object id of the enterprise application>`, `New-ManagementScope -Name \
             scanner -RecipientRestrictionFilter \"PrimarySmtpAddress -eq '<mailbox>'\"`, \
             `New-ManagementRoleAssignment -App <client id> -Role \"Application Mail.ReadWrite\" \
             -CustomResourceScope scanner`. Or keep scans under about 3 MB (lower resolution, \
             black and white).",
        ),
    ),
    (
        Cause::GraphMailboxUnavailable,
        t(
            "Microsoft Graph cannot use the sending mailbox: it does not exist, has no Exchange \
             Online licence, is inactive or soft-deleted, or is hosted on premises.",
            "Check `mailbox` in the Graph [upstream]: it must be the address (or user principal \
             name) of a user mailbox in Exchange Online with a licence that includes Exchange \
             Online, or of a shared mailbox; a distribution list or group is not a mailbox. A new \
             or newly licensed mailbox takes a while to be provisioned: wait and try again. A \
             mailbox on an on-premises Exchange server cannot be reached through Graph: send \
             through SMTP instead.",
        ),
    ),
    (
        Cause::GraphSendAsDenied,
        t(
            "The message's From address is not the sending mailbox, and the mailbox may not send \
             as that address.",
            "Set `from_policy = \"rewrite\"` in the Graph [upstream] so that the gateway sends \
             from its own mailbox address (the device's From goes to Reply-To), or let the mailbox \
             send as that address: Exchange admin center > Recipients > Mailboxes > the other \
             mailbox > Delegation > Send as, or `Add-RecipientPermission -Identity <From address> \
             -Trustee <mailbox> -AccessRights SendAs` in Exchange Online PowerShell.",
        ),
    ),
    (
        Cause::GraphThrottled,
        t(
            "Microsoft Graph is throttling requests for this app or mailbox (429 Too Many \
             Requests).",
            "Nothing needs to change: wait as long as Graph's Retry-After says and send again; \
             the gateway does this by itself and loses no mail. If it happens often, send fewer \
             messages at once through the same mailbox: Exchange allows an app 4 concurrent \
             requests per mailbox (MailboxConcurrency) and 10,000 requests per 10 minutes.",
        ),
    ),
    (
        Cause::GraphRequestTooLarge,
        t(
            "One request to Microsoft Graph was larger than its limit of about 4 MB (413 Request \
             Entity Too Large).",
            "Graph refuses request bodies over about 4 MB, so a scan larger than about 3 MB \
             cannot be posted in one sendMail request; tools that try fail on large scans. The \
             scanrelay gateway's Graph upstream (`kind = \"graph\"`) sends larger messages as a \
             draft whose attachments are uploaded in pieces, which needs Mail.ReadWrite; with \
             Mail.Send alone, keep scans under about 3 MB (lower resolution, black and white).",
        ),
    ),
];
