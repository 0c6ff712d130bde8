// @actions/workflow-parser imports its workflow schema as JSON from ES modules without an import
// attribute, which Node refuses and Jest warns about; jest.config.js maps that import here.
module.exports = require('../../../node_modules/@actions/workflow-parser/dist/workflow-v1.0.min.json')
