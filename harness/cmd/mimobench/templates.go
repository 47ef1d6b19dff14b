package main

import (
	"fmt"
	"strings"

	mimo "mimo/system"
)

// templates are the opening sentences of memories, per category. A {slot}
// is replaced by a word drawn for it (see slots); {^slot} capitalises it.
// Slots ending in a digit are independent draws from the same list.
var templates = map[mimo.Category][]string{
	mimo.CategoryFact: {
		"The {project} {component} runs on {tech} {version} in the {env} environment and is owned by the {team} team.",
		"{project} stores its {noun} data in {tech}; the {component} lives on {host}.",
		"The {team} team keeps the {noun} {noun2} for {project} in {file}.",
		"{person} is the {adj} point of contact for {topic} on {project} and works from {place}.",
		"The {env} {component} for {project} has a {adj} limit of {number} requests per second.",
		"Our {noun} {noun2} for {topic} uses {tech} with a {number}-day retention period.",
		"{project} depends on {project2} for {topic}, through its {tech} {component}.",
		"The {adj} {noun} threshold for {project} is {percent} percent, set by the {team} team in {month}.",
		"{person} owns the {component} of {project}; {person2} is the backup for {topic}.",
		"The {project} {component} talks to {tech} over {tech2} with a timeout of {number} ms.",
	},
	mimo.CategoryObservation: {
		"{person} prefers {pref} and {adj} summaries when reviewing {topic} work.",
		"Noticed that the {project} {component} gets {adj} when the {noun} {noun2} exceeds {number} items.",
		"{person} seemed {adj} about the {noun} for {project} and {adv} asks about the {adj2} {noun2}.",
		"The {env} {component} of {project} is {adv} {adj} on {day} mornings around {hour}:00.",
		"Users in {place} report {adj} {topic} behaviour since the {version} release of {project}.",
		"{person} {adv} works from {place} and likes {pref} for {topic} discussions.",
		"The {team} team tends to {verb} the {noun} before every {adj} {noun2}.",
		"Latency of the {project} {component} rose to {number} ms while {tech} was {reason}.",
		"{person} mentioned that the {adj} {noun} in {tech} is the main {noun2} for {topic}.",
	},
	mimo.CategoryAction: {
		"Deployed {project} {version} to {env} after {person} {vpast} the {adj} {component}.",
		"{^vpast} the {component} of {project} and {vpast2} its {noun} in {tech}.",
		"{person} {vpast} the {adj} {noun} for {topic} and {vpast2} the {noun2} on {host}.",
		"Ran the {noun} {noun2} against {env} {tech}: {number} of {number2} checks passed.",
		"{^vpast} {tech} from {version} to {version2} on the {project} {component} in {env}.",
		"Opened a ticket for the {team} team about the {reason} {component} in {project}.",
		"Sent {person} the {adj} {noun} for {topic}, with notes on the {noun2}.",
		"{^vpast} {number} {adj} {component} entries in {project} after the {noun} {noun2}.",
	},
	mimo.CategoryPlan: {
		"Next {timeframe}: {verb} {project} from {tech} to {tech2} and {verb2} the {adj} {component}.",
		"Plan to {verb} the {noun} {noun2} for {topic} before the {month} {noun3}.",
		"{person} will {verb} the {adj} {component} of {project} by {day}, then {verb2} the {noun}.",
		"Goal for {month}: {verb} {topic} across {number} {team} services and {verb2} the {noun}.",
		"Before the {env} launch, {verb} the {component} and ask {person} to {verb2} the {noun}.",
		"Proposal: {verb} the {adj} {noun} in {project} using {tech}, pending a review by {person}.",
		"This {timeframe} the {team} team wants to {verb} the {adj} {noun} and {verb2} {topic}.",
	},
	mimo.CategoryEpisode: {
		"On {day} the {project} {component} in {env} went down because the {component2} was {reason}; {person} {vpast} it within {number} minutes.",
		"During the {month} {noun} {noun2}, {person} and {person2} {vpast} the {adj} {topic} issue in {project}.",
		"Incident {number}: {tech} in {env} was {reason}, and {project} returned errors for {number2} minutes until {person} {vpast} the {component}.",
		"{person} {vpast} the {noun} with the {team} team in {place}; they agreed to {verb} the {adj} {noun2}.",
		"Last {day} a {adj} {noun} in {file} {vpast} the {project} release; we {vpast2} it and {vpast3} the {component}.",
		"In the {month} retrospective the {team} team {vpast} the {adj} {noun} and chose {tech} for {topic}.",
		"After the {env} {component} was {reason} for {number} minutes, {person} {vpast} the {noun} and {vpast2} the {component2}.",
	},
}

// clauses are the sentences that may follow an opening one, in any category.
var clauses = []string{
	"{^adv} {person} {vpast} the {adj} {noun}.",
	"See {file} for the {noun} details.",
	"The {noun} is tracked under {topic} in {tech}.",
	"This affects the {adj} {component} on {host}.",
	"Follow up with {person} on {day}.",
	"It took about {number} minutes and {number2} retries.",
	"The {team} team should {verb} the {noun2} before {month}.",
	"{person} thinks the {adj} {noun} is {adj2}.",
	"Related to {project} and the {topic} work.",
	"Keep the {component} {adj} until {person} has {vpast} the {noun}.",
}

// slots are the generators of template slots.
var slots = map[string]func(g *gen) string{
	"person":    func(g *gen) string { return g.pick(people) },
	"team":      func(g *gen) string { return g.pick(teams) },
	"project":   func(g *gen) string { return g.pick(projectHeads) + "-" + g.pick(projectTails) },
	"tech":      func(g *gen) string { return g.pick(techs) },
	"env":       func(g *gen) string { return g.pick(environments) },
	"component": func(g *gen) string { return g.pick(components) },
	"noun":      func(g *gen) string { return g.pick(nouns) },
	"adj":       func(g *gen) string { return g.pick(adjectives) },
	"adv":       func(g *gen) string { return g.pick(adverbs) },
	"vpast":     func(g *gen) string { return g.pick(verbsPast) },
	"verb":      func(g *gen) string { return g.pick(verbsBase) },
	"topic":     func(g *gen) string { return g.pick(topics) },
	"pref":      func(g *gen) string { return strings.ReplaceAll(g.pick(preferences), "-", " ") },
	"place":     func(g *gen) string { return g.pick(places) },
	"day":       func(g *gen) string { return g.pick(weekdays) },
	"month":     func(g *gen) string { return g.pick(months) },
	"file":      func(g *gen) string { return g.pick(fileNames) },
	"reason":    func(g *gen) string { return g.pick(reasons) },
	"number":    func(g *gen) string { return fmt.Sprint(2 + g.r.IntN(499)) },
	"percent":   func(g *gen) string { return fmt.Sprint(1 + g.r.IntN(99)) },
	"hour":      func(g *gen) string { return fmt.Sprintf("%02d", g.r.IntN(24)) },
	"timeframe": func(g *gen) string { return g.pick([]string{"week", "sprint", "month", "quarter"}) },
	"version":   func(g *gen) string { return fmt.Sprintf("v%d.%d.%d", 1+g.r.IntN(9), g.r.IntN(31), g.r.IntN(21)) },
	"host":      func(g *gen) string { return fmt.Sprintf("%s-%d", g.pick(hostRoles), 1+g.r.IntN(40)) },
}

var hostRoles = strings.Fields("db web worker cache edge api batch gpu build queue")

// segment is a literal followed by a slot ("" at the end of a template).
type segment struct {
	lit   string
	slot  func(g *gen) string
	upper bool
}

// parsed holds every template and clause split into segments, so
// generation does not re-scan strings.
var parsed = map[string][]segment{}

func init() {
	for _, ts := range templates {
		for _, t := range ts {
			parsed[t] = mustParse(t)
		}
	}
	for _, t := range clauses {
		parsed[t] = mustParse(t)
	}
}

// mustParse splits t into segments; an unknown slot is a bug in this file,
// so it panics at start-up rather than producing "{typo}" in memories.
func mustParse(t string) []segment {
	var segs []segment
	for t != "" {
		open := strings.IndexByte(t, '{')
		if open < 0 {
			segs = append(segs, segment{lit: t})
			break
		}
		end := strings.IndexByte(t[open:], '}')
		if end < 0 {
			panic(fmt.Sprintf("template %q: unclosed slot", t))
		}
		name := t[open+1 : open+end]
		upper := strings.HasPrefix(name, "^")
		name = strings.TrimPrefix(name, "^")
		fn, ok := slots[strings.TrimRight(name, "0123456789")]
		if !ok {
			panic(fmt.Sprintf("template %q: unknown slot {%s}", t, name))
		}
		segs = append(segs, segment{lit: t[:open], slot: fn, upper: upper})
		t = t[open+end+1:]
	}
	return segs
}

// fill draws a value for every slot of template t.
func (g *gen) fill(t string) string {
	var b strings.Builder
	for _, s := range parsed[t] {
		b.WriteString(s.lit)
		if s.slot == nil {
			continue
		}
		v := s.slot(g)
		if s.upper {
			v = capitalize(v)
		}
		b.WriteString(v)
	}
	return b.String()
}
