using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using TttCluster.Gateway;
using TttCluster.Gateway.Tests;

namespace TttCluster.Dashboard.Tests;

/// <summary>
/// The dashboard in headless Chromium against a real farm (`ttt serve`'s server in this process, silo processes where a
/// test kills one): what an operator or an artist does with it, step by step, as a browser does it.
/// </summary>
public class DashboardTests(Browser browser, ITestOutputHelper output) : IClassFixture<Browser>, IAsyncLifetime
{
    /// <summary>The test's pages: closed when it ends, so that none of them talks to the next test's output.</summary>
    private readonly List<IPage> _pages = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var page in _pages) await page.Context.CloseAsync();
    }

    private async Task<IPage> NewPageAsync()
    {
        var page = await browser.NewPageAsync();
        _pages.Add(page);
        return page;
    }

    /// <summary>Scenes in the words the shipped model was trained on, so the screenshots' previews show what it draws for a story it knows.</summary>
    private static readonly string[] StoryboardScenes =
    [
        "On a black background, a white ball sits in the bottom left corner.",
        "Against a blue backdrop, an orange square rests in the top right corner.",
        "The screen is green. The ball rolls to the right.",
        "On a purple background, the square drops down from the top left corner.",
        "Over a red background, the ball climbs up from the bottom.",
        "The background is yellow. The square grows.",
        "On a black background, the ball at the top right vanishes.",
        "Against a blue backdrop, the square slides to the left.",
    ];

    private static string Story(int scenes, int steps, string title = "Dashboard") =>
        $"title: {title}\nseed: 5\nsettings: {{ steps: {steps}, guidance: 4.0 }}\nscenes:\n" +
        string.Concat(Enumerable.Range(0, scenes).Select(k => $"  - text: \"{StoryboardScenes[k % StoryboardScenes.Length]}\"\n"));

    /// <summary>Script errors and failed requests of the test's pages: a page that works must have none.</summary>
    private readonly List<string> _pageErrors = [];

    /// <summary>Addresses whose refusals (4xx) the test asks for: the browser logs them, and they are no error of the page.</summary>
    private readonly List<string> _expectedRefusals = [];

    private async Task<IPage> SignedInAsync(Farm farm, string key)
    {
        var page = await NewPageAsync();
        page.PageError += (_, error) => { lock (_pageErrors) _pageErrors.Add(error); };
        page.Console += (_, message) =>
        {
            output.WriteLine($"console {message.Type}: {message.Text}");
            // A preview asked for just as its story stopped rendering is answered 409, which Chromium logs; nothing is wrong.
            // Nor is an answer the test itself provokes.
            bool previewTooLate = message.Text.Contains("status of 409") && message.Location.Contains("/preview");
            bool expected;
            lock (_expectedRefusals) expected = _expectedRefusals.Any(url => message.Location.Contains(url));
            if (message.Type == "error" && !previewTooLate && !expected) lock (_pageErrors) _pageErrors.Add($"{message.Text} ({message.Location})");
        };
        page.RequestFailed += (_, request) => { if (!request.Url.Contains("/events")) lock (_pageErrors) _pageErrors.Add($"{request.Url}: {request.Failure}"); };
        await page.GotoAsync(farm.BaseAddress.ToString());
        await page.FillAsync("#api-key", key);
        await page.ClickAsync("#signin-submit");
        await page.WaitForSelectorAsync("table#stories");
        return page;
    }

    /// <summary>Waits until the page's <paramref name="selector"/> has <paramref name="text"/> as its text (trimmed).</summary>
    private static Task WaitForTextAsync(IPage page, string selector, string text, float timeoutMs = 30_000) =>
        page.WaitForFunctionAsync("([s, t]) => document.querySelector(s)?.textContent.trim() === t", new object[] { selector, text },
            new PageWaitForFunctionOptions { Timeout = timeoutMs });

    private void AssertNoPageErrors()
    {
        lock (_pageErrors) Assert.True(_pageErrors.Count == 0, "the page had errors:\n" + string.Join("\n", _pageErrors));
    }

    [Fact]
    public async Task SignIn_SubmitThroughThePage_EverySegmentReachesTheLastStep_AndTheVideoDownloads()
    {
        var farm = await Farm.StartAsync();
        try
        {
            var page = await SignedInAsync(farm, Farm.KeyA);
            const int scenes = 8, steps = 24;
            await page.FillAsync("#story-source", Story(scenes, steps));
            await page.ClickAsync("#submit-story");
            var story = await page.WaitForSelectorAsync("section#story[data-story-id]");
            string id = (await story!.GetAttributeAsync("data-story-id"))!;
            Assert.Matches("^s_[0-9a-f]{16}$", id);

            // Every cell shows the last step from the events as they came, not from the final state.
            await page.WaitForFunctionAsync(
                "([n, steps]) => { const cells = [...document.querySelectorAll('#segments .segment')]; " +
                "return cells.length === n && cells.every((c, k) => c.dataset.segment === String(k) && c.dataset.step === String(steps) && c.dataset.silo); }",
                new object[] { scenes, steps }, new PageWaitForFunctionOptions { Timeout = 120_000 });
            await WaitForTextAsync(page, "#story-state", "done", 120_000);
            Assert.Equal($"{steps} / {steps}", (await page.TextContentAsync("#story-steps"))!.Trim());

            var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-video"));
            string saved = Path.Combine(farm.DataDirectory, "downloaded.mp4");
            await download.SaveAsAsync(saved);
            byte[] video = await File.ReadAllBytesAsync(saved);
            Assert.Equal("ftyp", System.Text.Encoding.ASCII.GetString(video, 4, 4));
            Assert.Equal(await farm.TenantA.GetByteArrayAsync($"v1/stories/{id}/video"), video);
            Assert.Equal($"{id}.mp4", download.SuggestedFilename);

            // The list shows it done, with its progress full.
            await page.ClickAsync("#nav-stories");
            await WaitForTextAsync(page, $"tr[data-story-id='{id}'] td.state", "done");
            AssertNoPageErrors();
        }
        finally
        {
            await farm.DisposeAndDeleteAsync();
        }
    }

    [Fact]
    public async Task CancelFromThePage_ShowsTheStoryCancelled_AndFreesItsSilo()
    {
        var farm = await Farm.StartAsync();
        try
        {
            string id = await Farm.SubmitOkAsync(farm.TenantA, Story(6, 200, "Cancelled"));
            var page = await SignedInAsync(farm, Farm.KeyA);
            await page.ClickAsync($"tr[data-story-id='{id}'] a.open");
            await page.WaitForSelectorAsync($"section#story[data-story-id='{id}']");
            // Rendering: a cell has moved past its first step.
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#segments .segment')].some(c => Number(c.dataset.step) >= 2)");
            await page.ClickAsync("#cancel-story");
            await WaitForTextAsync(page, "#story-state", "cancelled");
            Assert.Equal("cancelled", (await Farm.GetStoryAsync(farm.TenantA, id)).GetProperty("state").GetString());

            // The silo drops the story's segments at once.
            await page.ClickAsync("#nav-silos");
            await WaitForTextAsync(page, $"tr[data-silo='{FarmServer.SiloName}'] td.segments", "0", 20_000);
            await WaitForTextAsync(page, $"tr[data-silo='{FarmServer.SiloName}'] td.status", "active");
            AssertNoPageErrors();
        }
        finally
        {
            await farm.DisposeAndDeleteAsync();
        }
    }

    [Fact]
    public async Task ASiloProcessKilledMidRender_ShowsDeadWithinSeconds_AndTheStoryCompletes()
    {
        var farm = await Farm.StartAsync(siloProcesses: 2);
        try
        {
            var silos = farm.Services.GetRequiredService<FarmSilos>();
            // Both silo processes active and answering before the stories come: a placement uses the silos that answer.
            var started = DateTime.UtcNow.AddSeconds(90);
            while (!(await farm.TenantA.GetStringAsync("v1/silos") is var seen && seen.Contains("\"name\":\"worker-0\",") && seen.Contains("\"name\":\"worker-1\",")
                     && JsonDocument.Parse(seen).RootElement.GetProperty("silos").EnumerateArray().Count(v => v.GetProperty("status").GetString() == "active") == 3))
            {
                Assert.True(DateTime.UtcNow < started, "the silo processes never became active");
                await Task.Delay(100);
            }
            // Two more stories make the list worth a look in the screenshot; the long one is the one a silo dies under.
            await Farm.SubmitOkAsync(farm.TenantA, Story(4, 10, "A short one"));
            string id = await Farm.SubmitOkAsync(farm.TenantA, Story(16, 120, "The long chase"));
            await Farm.SubmitOkAsync(farm.TenantA, Story(20, 60, "Waiting its turn"), "?priority=-1");

            var page = await SignedInAsync(farm, Farm.KeyA);
            await page.ClickAsync($"tr[data-story-id='{id}'] a.open");
            // Rendering on both silo processes.
            await page.WaitForFunctionAsync(
                "() => { const cells = [...document.querySelectorAll('#segments .segment')]; " +
                "return cells.length === 16 && cells.every(c => Number(c.dataset.step) >= 3) && new Set(cells.map(c => c.dataset.silo)).size === 2; }",
                null, new PageWaitForFunctionOptions { Timeout = 60_000 });
            // The silo of the long story's first segment: its death must move segments.
            string victim = (await page.GetAttributeAsync("#segments .segment[data-segment='0']", "data-silo"))!;
            await Screenshot(page, "story-rendering.png", docs: true);
            await page.ClickAsync("#nav-stories");
            await WaitForTextAsync(page, $"tr[data-story-id='{id}'] td.state", "rendering");
            await Screenshot(page, "stories.png", docs: true);

            await page.ClickAsync("#nav-silos");
            var process = silos.Processes!.All.Single(p => p.Name == victim).Process;
            await WaitForTextAsync(page, $"tr[data-silo='{victim}'] td.status", "active");
            process.Kill();
            var killedAt = DateTime.UtcNow;
            // About a second on a quiet machine (membership's probes); the bound leaves room for a loaded CI machine.
            await WaitForTextAsync(page, $"tr[data-silo='{victim}'] td.status", "dead", 20_000);
            output.WriteLine($"killed {victim}; the page showed it dead {(DateTime.UtcNow - killedAt).TotalSeconds:F1} s later");
            await Screenshot(page, "silos.png", docs: false);

            var story = await Farm.WaitForEndAsync(farm.TenantA, id, TimeSpan.FromSeconds(180));
            Assert.Equal("done", story.GetProperty("state").GetString());
            // Every story that had segments on it redid a step (the long one at least).
            try
            {
                await page.WaitForFunctionAsync("s => Number(document.querySelector(s)?.textContent) >= 1", $"tr[data-silo='{victim}'] td.failures",
                    new PageWaitForFunctionOptions { Timeout = 20_000 });
            }
            catch (TimeoutException)
            {
                // What the coordinator said, and what the farm says of its silos: why no failure was counted.
                await foreach (var e in farm.Services.GetRequiredService<StoryEvents>().WatchAsync(id, null, CancellationToken.None))
                    if (e.Data is SegmentView { Segment: < 0 } said && said.Phase != "step done") output.WriteLine($"coordinator: {said}");
                output.WriteLine(await farm.TenantA.GetStringAsync("v1/silos"));
                throw;
            }
            AssertNoPageErrors();
        }
        finally
        {
            await farm.DisposeAndDeleteAsync();
        }
    }

    [Fact]
    public async Task ASecondTenant_DoesNotSeeTheFirstTenantsStories()
    {
        var farm = await Farm.StartAsync();
        try
        {
            string ofA = await Farm.SubmitOkAsync(farm.TenantA, Story(2, 4, "Studio A's"));
            string ofB = await Farm.SubmitOkAsync(farm.TenantB, Story(2, 4, "Studio B's"));
            var pageOfB = await SignedInAsync(farm, Farm.KeyB);
            await pageOfB.WaitForSelectorAsync($"tr[data-story-id='{ofB}']");
            Assert.Equal(0, await pageOfB.Locator($"tr[data-story-id='{ofA}']").CountAsync());
            Assert.Equal(1, await pageOfB.Locator("table#stories tbody tr[data-story-id]").CountAsync());
            // A bad story is refused with each problem on a line of its own, where it is.
            lock (_expectedRefusals) _expectedRefusals.Add("/v1/stories");
            await pageOfB.FillAsync("#story-source", "title: Broken\nseed: 1\nsettings: { steps: 0 }\nscenes:\n  - text: \"Tom naps.\"\n");
            await pageOfB.ClickAsync("#submit-story");
            var problem = await pageOfB.WaitForSelectorAsync("#submit-errors li.submit-error");
            string problemText = (await problem!.TextContentAsync())!;
            Assert.StartsWith("line 3, column", problemText);
            Assert.Contains("settings.steps", problemText);

            // Even by its address: the page says there is no such story, as the API does.
            lock (_expectedRefusals) _expectedRefusals.Add($"/v1/stories/{ofA}");
            await pageOfB.GotoAsync(farm.BaseAddress + "#/stories/" + ofA);
            var error = await pageOfB.WaitForSelectorAsync("#story-error");
            Assert.Contains("no story", await error!.TextContentAsync());
            Assert.Equal(0, await pageOfB.Locator("section#story").CountAsync());

            // A wrong key does not sign in.
            var stranger = await NewPageAsync();
            await stranger.GotoAsync(farm.BaseAddress.ToString());
            await stranger.FillAsync("#api-key", "not-a-key-of-anyone-here");
            await stranger.ClickAsync("#signin-submit");
            await stranger.WaitForFunctionAsync("() => document.querySelector('#signin-error')?.textContent.trim().length > 0");
            Assert.Equal(0, await stranger.Locator("table#stories").CountAsync());
            AssertNoPageErrors();
        }
        finally
        {
            await farm.DisposeAndDeleteAsync();
        }
    }

    /// <summary>
    /// Writes a screenshot under artifacts/screenshots, and also under docs/ when TTT_DOCS_SCREENSHOTS=1 (how the README's
    /// pictures are remade: a plain test run leaves the committed ones alone).
    /// </summary>
    private async Task Screenshot(IPage page, string name, bool docs)
    {
        string root = RepositoryRoot();
        var folders = new List<string> { Path.Combine(root, "artifacts", "screenshots") };
        if (docs && Environment.GetEnvironmentVariable("TTT_DOCS_SCREENSHOTS") == "1") folders.Add(Path.Combine(root, "docs", "screenshots"));
        byte[] png = await page.ScreenshotAsync(new PageScreenshotOptions { FullPage = false });
        foreach (string folder in folders)
        {
            Directory.CreateDirectory(folder);
            await File.WriteAllBytesAsync(Path.Combine(folder, name), png);
            output.WriteLine($"screenshot: {Path.Combine(folder, name)}");
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TttCluster.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no TttCluster.sln above {AppContext.BaseDirectory}");
    }
}
