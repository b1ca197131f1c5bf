using System.Globalization;
using System.Text.RegularExpressions;
using ModeRefresh.Resources.Tests.Infrastructure;
using ModeRefresh.Resources.Tests.Validation;

namespace ModeRefresh.Resources.Tests;

/// <summary>
/// The drop-in brokers are a one-line swap for `dapr run -f .` against a broker started the way components/README.md
/// says: no port of dapr.yaml or compose is a broker's (or `dapr init`'s) default port; each local broker's component
/// points at the default local broker and needs no credential; the README says how to start each; the JetStream
/// streams cover every topic the services use, as NATS subjects, in a layout the component and daprd can use.
/// </summary>
public sealed partial class BrokerTests
{
    public static TheoryData<string> LocalBrokers() => new(RepoResources.Facts().LocalBrokers.Select(b => b.Folder));

    [Fact]
    public void Ports_DaprRunAndCompose_NoneIsABrokerOrDaprInitDefault()
    {
        var facts = RepoResources.Facts();
        var taken = facts.LocalBrokers.SelectMany(b => b.Ports.Select(p => (p.Key, Owner: $"{b.Folder} {p.Value}")))
            .Concat(facts.DaprInitPorts.Select(p => (p.Key, Owner: $"dapr init {p.Value}")))
            .GroupBy(p => p.Key)
            .ToDictionary(g => g.Key, g => string.Join(" / ", g.Select(p => p.Owner)));

        var clashes = OurPorts().Where(p => taken.ContainsKey(p.Port)).Select(p => $"{p.Owner} = {p.Port}, the default port of {taken[p.Port]}").ToList();
        Assert.True(clashes.Count == 0, "ports that clash with a broker or dapr init:" + Environment.NewLine + string.Join(Environment.NewLine, clashes));
        Assert.True(OurPorts().Count() >= 16, "expected app, HTTP, gRPC and metrics ports of both apps in dapr.yaml and compose");
    }

    [Theory]
    [MemberData(nameof(LocalBrokers))]
    public void LocalBroker_Component_DefaultLocalBrokerWithoutCredentials(string folder)
    {
        var broker = RepoResources.Facts().LocalBrokers.Single(b => b.Folder == folder);
        var component = Yaml.LoadSingleMap(RepoPaths.Combine("components", "brokers", folder, "pubsub.yaml"));
        Assert.Equal(broker.Type, component["spec"]?["type"]?.AsString());
        var metadata = Assert.IsType<YSeq>(component["spec"]?["metadata"]).Items;
        Assert.Equal(broker.Address, Value(metadata, broker.AddressField));
        Assert.Contains(PortOf(broker.Address), broker.Ports.Keys);

        // Nothing the user must add to the secret store for a default broker: no secretKeyRef, no auth block.
        var references = metadata.Where(m => m["secretKeyRef"] is not null).Select(m => m["name"]?.AsString()).ToList();
        Assert.True(references.Count == 0, $"{folder}: a default local broker needs no credential, but these come from the secret store: {string.Join(", ", references)}");
        Assert.Null(component["auth"]);

        foreach (var (field, value) in broker.Settings)
        {
            Assert.True(Value(metadata, field) == value, $"{folder}: {field} must be '{value}' for a default local broker, found '{Value(metadata, field) ?? "(not set)"}'");
        }
    }

    [Theory]
    [MemberData(nameof(LocalBrokers))]
    public void LocalBroker_Readme_SaysHowToStartItOnItsPort(string folder)
    {
        var broker = RepoResources.Facts().LocalBrokers.Single(b => b.Folder == folder);
        var port = PortOf(broker.Address).ToString(CultureInfo.InvariantCulture);
        var row = StartTableRows().SingleOrDefault(r => r.Folder == $"brokers/{folder}");
        Assert.True(row.Folder is not null, $"components/README.md: the table under '{StartSection}' has no row for brokers/{folder}");
        Assert.Equal(port, row.Port);
        foreach (var docker in DockerRun().Matches(row.Start).Select(m => m.Value))
        {
            Assert.True(docker.Contains($"-p {port}:{port}", StringComparison.Ordinal), $"{folder}: `{docker}` does not publish port {port}");
        }

        Assert.True(row.Start.Length > 0, $"{folder}: no start command");
    }

    [Fact]
    public void JetStream_Streams_CoverEveryTopicOnceAsNatsSubjects()
    {
        var streams = JetStreamStreams();
        foreach (var (name, subjects) in streams)
        {
            foreach (var subject in subjects)
            {
                Assert.True(NatsSubject.Problem(subject) is null, $"stream {name}: subject '{subject}': {NatsSubject.Problem(subject)}");
            }
        }

        var declarations = ServiceTopics();
        Assert.True(declarations.Count >= 6, "expected the topic settings of Ingress (3) and Refresh (3) in services/**/*Options.cs, found: "
            + string.Join(", ", declarations.Select(d => $"{d.DeclaredIn} = {d.Topic}")));
        foreach (var (topic, declaredIn) in declarations.GroupBy(d => d.Topic).Select(g => (g.Key, string.Join(", ", g.Select(d => d.DeclaredIn)))))
        {
            var holders = streams.Where(s => s.Value.Any(subject => NatsSubject.Matches(subject, topic))).Select(s => s.Key).ToList();
            Assert.True(holders.Count == 1, $"topic '{topic}' ({declaredIn}) must be in exactly one stream, is in: {(holders.Count == 0 ? "none" : string.Join(", ", holders))}");
        }
    }

    [Fact]
    public void JetStream_SubscribedTopics_EachInAStreamOfItsOwn()
    {
        // Refresh subscribes to Subscription:CompletedTopic and Subscription:DeadLetterTopic with one durable name ({appID}):
        // a durable consumer belongs to one stream, so two subscriptions in one stream collide, and a dead letter
        // (same CloudEvent id) in its event's stream is dropped by the duplicate window. See the component's comment.
        var declarations = ServiceTopics();
        var subscribed = new[] { "CompletedTopic", "DeadLetterTopic" }
            .Select(p => declarations.Single(d => d.DeclaredIn == $"Refresh SubscriptionOptions.{p}").Topic)
            .ToList();
        var streams = JetStreamStreams();
        var streamOf = subscribed.ToDictionary(t => t, t => streams.Single(s => s.Value.Any(subject => NatsSubject.Matches(subject, t))).Key);
        Assert.True(streamOf.Values.Distinct().Count() == subscribed.Count,
            "each subscribed topic needs its own stream: " + string.Join(", ", streamOf.Select(s => $"{s.Key} -> {s.Value}")));

        var component = Yaml.LoadSingleMap(RepoPaths.Combine("components", "brokers", "jetstream", "pubsub.yaml"));
        var metadata = Assert.IsType<YSeq>(component["spec"]?["metadata"]).Items;
        Assert.True(Value(metadata, "streamName") is null, "streamName must not be set: the topics live in several streams, found by subject");
    }

    [Fact]
    public void JetStream_StreamCommands_SameInComponentAndReadme()
    {
        var inComponent = StreamCommands(File.ReadAllText(RepoPaths.Combine("components", "brokers", "jetstream", "pubsub.yaml")));
        var inReadme = StreamCommands(File.ReadAllText(RepoPaths.Combine("components", "README.md")));
        Assert.NotEmpty(inComponent);
        Assert.Equal(Describe(inComponent), Describe(inReadme));

        static string Describe(Dictionary<string, List<string>> streams) =>
            string.Join("; ", streams.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}: {string.Join(",", s.Value)}"));
    }

    [Theory]
    [InlineData("dbt-job-run-*", "dbt-job-run-completed", false)] // `*` inside a token is a literal character
    [InlineData("dbt-job-run-completed", "dbt-job-run-completed", true)]
    [InlineData("dbt.*", "dbt.completed", true)]
    [InlineData("dbt.*", "dbt.run.completed", false)]
    [InlineData("dbt.>", "dbt.run.completed", true)]
    [InlineData(">", "dbt-job-run-completed", true)]
    [InlineData("dbt.>", "dbt", false)]
    public void NatsSubject_Matches_WildcardsAreWholeTokens(string pattern, string subject, bool expected) =>
        Assert.Equal(expected, NatsSubject.Matches(pattern, subject));

    [Fact]
    public void NatsSubject_WildcardInsideToken_IsAProblem()
    {
        Assert.Contains("literal", NatsSubject.Problem("dbt-job-run-*"), StringComparison.Ordinal);
        Assert.Null(NatsSubject.Problem("dbt.*"));
        Assert.NotNull(NatsSubject.Problem("dbt..run"));
    }

    /// <summary>Every fixed port of dapr.yaml's apps and of the compose namespace (apps and sidecars).</summary>
    private static IEnumerable<(string Owner, int Port)> OurPorts()
    {
        var runFile = Yaml.LoadSingleMap(RepoPaths.Combine("dapr.yaml"));
        foreach (var app in Assert.IsType<YSeq>(runFile["apps"]).Items)
        {
            foreach (var key in new[] { "appPort", "daprHTTPPort", "daprGRPCPort", "metricsPort", "daprInternalGRPCPort", "profilePort" })
            {
                if (Yaml.AsInteger(app[key]) is { } port)
                {
                    yield return ($"dapr.yaml {app["appID"]?.AsString()}.{key}", (int)port);
                }
            }
        }

        foreach (var (app, (_, appPort)) in ComposeTests.Apps)
        {
            yield return ($"docker-compose.yml {app}", appPort);
            var args = ComposeTests.Arguments(ComposeTests.Services[$"{app}-dapr"]!);
            foreach (var flag in new[] { "--dapr-http-port", "--dapr-grpc-port", "--dapr-internal-grpc-port", "--metrics-port", "--profile-port" })
            {
                if (ComposeTests.Flag(args, flag) is { } value)
                {
                    yield return ($"docker-compose.yml {app}-dapr {flag}", int.Parse(value, CultureInfo.InvariantCulture));
                }
            }
        }
    }

    private const string StartSection = "## Starting a broker on your machine";

    /// <summary>Rows of components/README.md's start table: | broker | folder | listens on | start it |.</summary>
    private static IEnumerable<(string Folder, string Port, string Start)> StartTableRows()
    {
        var lines = File.ReadAllLines(RepoPaths.Combine("components", "README.md"));
        var start = Array.IndexOf(lines, StartSection);
        Assert.True(start >= 0, $"components/README.md has no '{StartSection}' section");
        foreach (var line in lines.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)).Where(l => l.StartsWith('|')))
        {
            var cells = line.Trim('|').Split(" | ").Select(c => c.Trim().Trim('`')).ToArray();
            if (cells.Length == 4 && cells[1].StartsWith("brokers/", StringComparison.Ordinal))
            {
                yield return (cells[1], cells[2], cells[3]);
            }
        }
    }

    /// <summary>Streams defined by `nats stream add NAME --subjects "a,b"` lines of a text.</summary>
    private static Dictionary<string, List<string>> StreamCommands(string text) =>
        StreamAdd().Matches(text).ToDictionary(
            m => m.Groups["name"].Value,
            m => m.Groups["subjects"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList());

    private static Dictionary<string, List<string>> JetStreamStreams() =>
        StreamCommands(File.ReadAllText(RepoPaths.Combine("components", "brokers", "jetstream", "pubsub.yaml")));

    /// <summary>
    /// The topics the services publish or subscribe to: the defaults of every *Topic setting in services/**
    /// (Ingress:CompletedTopic ..., Subscription:CompletedTopic, DeadLetterTopic, RunsTopic), with where each is
    /// declared. A default names a constant of services/Contracts/Topics.cs, whose value is read from that file.
    /// </summary>
    private static List<(string Topic, string DeclaredIn)> ServiceTopics()
    {
        var constants = TopicConstant().Matches(File.ReadAllText(RepoPaths.Combine("services", "Contracts", "Topics.cs")))
            .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["topic"].Value, StringComparer.Ordinal);
        var topics = new List<(string, string)>();
        foreach (var file in Directory.EnumerateFiles(RepoPaths.Combine("services"), "*Options.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var service = RepoPaths.Relative(file).Split('/')[1];
            foreach (Match match in TopicSetting().Matches(File.ReadAllText(file)))
            {
                var declaredIn = $"{service} {Path.GetFileNameWithoutExtension(file)}.{match.Groups["property"].Value}";
                var topic = match.Groups["topic"].Success ? match.Groups["topic"].Value
                    : constants.TryGetValue(match.Groups["constant"].Value, out var value) ? value
                    : throw new InvalidOperationException($"{declaredIn} defaults to Topics.{match.Groups["constant"].Value}, which services/Contracts/Topics.cs does not declare");
                topics.Add((topic, declaredIn));
            }
        }

        return topics;
    }

    private static string? Value(IReadOnlyList<YNode> metadata, string name) =>
        metadata.FirstOrDefault(m => m["name"]?.AsString() == name)?["value"]?.AsString();

    private static int PortOf(string address) => int.Parse(PortSuffix().Match(address).Groups[1].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@":(\d+)/?$")]
    private static partial Regex PortSuffix();

    [GeneratedRegex(@"docker run [^`|]*")]
    private static partial Regex DockerRun();

    [GeneratedRegex("""nats stream add (?<name>[A-Za-z0-9_-]+) --subjects ["'](?<subjects>[^"']+)["']""")]
    private static partial Regex StreamAdd();

    [GeneratedRegex("""public string (?<property>\w*Topic) \{ get; set; \} = (?:"(?<topic>[^"]+)"|(?:Contracts\.)?Topics\.(?<constant>\w+));""")]
    private static partial Regex TopicSetting();

    [GeneratedRegex("""public const string (?<name>\w+) = "(?<topic>[^"]+)";""")]
    private static partial Regex TopicConstant();
}

/// <summary>
/// NATS subject rules (nats-server's subject matching, as its docs and nats.go describe them): tokens are separated
/// by '.', `*` matches exactly one token, `>` as the last token matches one or more; a wildcard character inside a
/// longer token is just a character.
/// </summary>
public static class NatsSubject
{
    public static bool Matches(string pattern, string subject)
    {
        var p = pattern.Split('.');
        var s = subject.Split('.');
        for (var i = 0; i < p.Length; i++)
        {
            if (p[i] == ">")
            {
                return i == p.Length - 1 && s.Length > i;
            }

            if (i >= s.Length || (p[i] != "*" && p[i] != s[i]))
            {
                return false;
            }
        }

        return p.Length == s.Length;
    }

    /// <summary>Why a stream subject is wrong or misleading, or null.</summary>
    public static string? Problem(string subject)
    {
        var tokens = subject.Split('.');
        if (tokens.Any(t => t.Length == 0 || t.Any(char.IsWhiteSpace)))
        {
            return "empty token or white space";
        }

        var literal = tokens.FirstOrDefault(t => t.Length > 1 && (t.Contains('*', StringComparison.Ordinal) || t.Contains('>', StringComparison.Ordinal)));
        return literal is null
            ? tokens.SkipLast(1).Contains(">") ? "'>' is only a wildcard as the last token" : null
            : $"'{literal}' contains a wildcard character inside a token, so it is a literal subject, not a wildcard (wildcards are whole tokens)";
    }
}
