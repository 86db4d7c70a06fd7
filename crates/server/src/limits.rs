//! Every bound the server puts on a request (STYLE 10): hitting one is an explicit 4xx,
//! never a silent truncation.

/// Largest request body: a consortium with a thousand members is a few hundred KiB.
pub(crate) const BODY_BYTES_MAX: usize = 1 << 20;

/// Most days one pool view covers after its first: two months of departments' days is a
/// few thousand lines, one page to read.
pub(crate) const POOL_VIEW_DAYS_MAX: i64 = 62;

/// Residents per page when the client names no limit.
pub(crate) const RESIDENTS_PAGE_DEFAULT: u32 = 100;
/// Most residents per page: enough to page a grid quickly, small enough that one request
/// stays a few milliseconds of database work.
pub(crate) const RESIDENTS_PAGE_MAX: u32 = 500;

/// Events per page when the client names no limit.
pub(crate) const EVENTS_PAGE_DEFAULT: u32 = 100;
/// Most events per page.
pub(crate) const EVENTS_PAGE_MAX: u32 = 1_000;
/// Notices per page when the client names no limit.
pub(crate) const FEED_PAGE_DEFAULT: u32 = 100;
/// Most notices per page.
pub(crate) const FEED_PAGE_MAX: u32 = 500;
/// Longest life of one live feed connection: the browser reconnects (resuming from
/// `Last-Event-ID`), and the reconnection checks the caller's access again, so a disabled
/// account stops hearing within this time.
pub(crate) const FEED_STREAM_SECONDS_MAX: u64 = 600;
/// How often a server looks for a newer notice for its live feeds: the delay a console
/// sees, at one small query per interval whatever the number of consoles.
pub(crate) const FEED_WATCH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Most members a consortium may be given in one request (a city's telemedicine network
/// has a few hundred).
pub(crate) const CONSORTIUM_MEMBERS_MAX: usize = 2_000;
/// Longest consortium name, in characters.
pub(crate) const NAME_CHARS_MAX: usize = 200;
