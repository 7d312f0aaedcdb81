using Microsoft.Playwright;

namespace TttCluster.Dashboard.Tests;

/// <summary>
/// Headless Chromium driven by Playwright: Debian's chromium (scripts/install-deps.sh installs it; TTT_CHROMIUM names
/// another), never a browser Playwright would download. Host names other than loopback resolve to nothing, so a page
/// that asked the network for anything (a CDN, a font) would show it broken.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    public static string ExecutablePath => Environment.GetEnvironmentVariable("TTT_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
            throw new FileNotFoundException($"the dashboard's tests need headless Chromium at {ExecutablePath} (scripts/install-deps.sh installs Debian's chromium; TTT_CHROMIUM names another)");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost",
            ],
        });
    }

    /// <summary>A new page in a context of its own (its own session storage: signed out), 1280 × 800.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            AcceptDownloads = true,
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        return page;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
    }
}
