-- Alerts for operators about WeChat itself: its daily quota used up (OCR
-- falls back to the card reader and typing) and our credentials refused
-- (wrong appid or secret: every WeChat sign-in and scan fails until fixed).
alter table alert drop constraint alert_kind_check;
alter table alert add constraint alert_kind_check
    check (kind in ('MINOR_ATTEMPT', 'WINDOW_LIMIT', 'MULTI_PHARMACY', 'SYNC_LAG', 'DEAD_LETTER', 'WECHAT_QUOTA', 'WECHAT_CONFIG'));
