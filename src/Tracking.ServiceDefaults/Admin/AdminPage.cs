namespace Tracking.ServiceDefaults;

/// <summary>Marks an endpoint as a page for people: without a session it sends the browser to the login form instead of answering 401.</summary>
public sealed class AdminPage;
