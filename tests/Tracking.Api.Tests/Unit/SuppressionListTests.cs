using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Tracking.Api.Suppression;
using Tracking.Testing;

namespace Tracking.Api.Tests.Unit;

/// <summary>Two instances sharing one list file, as two API instances on shared storage do.</summary>
public sealed class SuppressionListTests : IDisposable
{
    private readonly string _folder = TemporaryFolder.NewPath("suppression-list-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => TemporaryFolder.Delete(_folder);

    private string ListPath => Path.Combine(_folder, "list.json");

    private async Task<SuppressionList> StartAsync()
    {
        var list = new SuppressionList(
            Options.Create(new SuppressionOptions { Path = ListPath, ReloadInterval = TimeSpan.FromSeconds(5) }),
            new HostingEnvironment { ContentRootPath = _folder },
            _time,
            NullLogger<SuppressionList>.Instance);
        await list.StartAsync(CancellationToken.None);
        return list;
    }

    [Fact]
    public async Task AnIdAddedByOneInstanceIsSuppressedByTheOtherAfterItsReloadInterval()
    {
        using var first = await StartAsync();
        using var second = await StartAsync();

        await first.AddAsync(IdKind.UserId, "u1", CancellationToken.None);

        Assert.True(first.Suppresses("u1", null));
        Assert.False(second.Suppresses("u1", null));
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(second.Suppresses("u1", null));
        Assert.False(second.Suppresses(null, "u1"));
    }

    [Fact]
    public async Task ChangesMadeByTwoInstancesWithoutAReloadBetweenAreBothKept()
    {
        using var first = await StartAsync();
        using var second = await StartAsync();

        await Task.WhenAll(
            Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? first : second).AddAsync(IdKind.AnonymousId, $"a{i}", CancellationToken.None)));
        await first.RemoveAsync(IdKind.AnonymousId, "a1", CancellationToken.None);

        using var third = await StartAsync();
        Assert.Equal(19, third.Count);
        Assert.False(third.Suppresses(null, "a1"));
        Assert.True(third.Suppresses(null, "a19"));
        Assert.Equal(["list.json", "list.json.lock"], Directory.GetFiles(_folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AListFileDamagedAfterTheStartKeepsTheListAsItWas()
    {
        using var list = await StartAsync();
        await list.AddAsync(IdKind.UserId, "u1", CancellationToken.None);

        await File.WriteAllTextAsync(ListPath, "{\"userIds\":[");
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.True(list.Suppresses("u1", null));
    }

    [Fact]
    public async Task AddingAnIdTwiceKeepsWhenItWasFirstAdded()
    {
        using var list = await StartAsync();
        var (first, added) = await list.AddAsync(IdKind.UserId, "u1", CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(1));

        var (again, addedAgain) = await list.AddAsync(IdKind.UserId, "u1", CancellationToken.None);

        Assert.True(added);
        Assert.False(addedAgain);
        Assert.Equal(first.Since, again.Since);
        Assert.Single(list.List().Suppressed);
    }
}
