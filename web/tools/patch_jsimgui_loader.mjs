// Copies jsimgui's prebuilt Emscripten loader (loader-extensions.js, which
// embeds ImGui's wasm) to build/app/jsimgui/ with its two uses of
// `new Function` replaced by closures that do the same work, so the page's
// Content-Security-Policy needs no 'unsafe-eval' (web/app/main.js loads this
// copy; node_modules is never edited). The two code paths are Embind's:
//   createJsInvoker: the JS wrapper of every bound C++ function and method
//     (argument count check, toWireType of `this` and each argument with a
//     destructor list, the C++ invoker, the destructors, fromWireType of the
//     result);
//   __emval_create_invoker: what C++ `val` calls into JS with (call, method
//     call, `new`, cast: arguments read from the wire, the result sent back).
// Each original is matched as exact text: a different jsimgui (or Emscripten)
// stops the build here, so an upgrade is noticed and the patch revisited.
// Afterwards no `new Function`, `Function(` or `eval(` may remain.
// Usage: node web/tools/patch_jsimgui_loader.mjs [--root DIR]
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const root = path.resolve(args.includes('--root') ? args[args.indexOf('--root') + 1] : '.');
const source = path.join(root, 'web/node_modules/@mori2003/jsimgui/build/loader-extensions.js');
const target = path.join(root, 'build/app/jsimgui/loader-extensions.js');

// Emscripten's generated text (jsimgui 0.14.0), one line in the file.
const ORIGINAL_JS_INVOKER = 'function createJsInvoker(argTypes,isClassMethodFunc,returns,isAsync){var needsDestructorStack=usesDestructorStack(argTypes);var argCount=argTypes.length-2;var argsList=[];var argsListWired=["fn"];if(isClassMethodFunc){argsListWired.push("thisWired")}for(var i=0;i<argCount;++i){argsList.push(`arg${i}`);argsListWired.push(`arg${i}Wired`)}argsList=argsList.join(",");argsListWired=argsListWired.join(",");var invokerFnBody=`return function (${argsList}) {\\n`;invokerFnBody+="checkArgCount(arguments.length, minArgs, maxArgs, humanName, throwBindingError);\\n";if(needsDestructorStack){invokerFnBody+="var destructors = [];\\n"}var dtorStack=needsDestructorStack?"destructors":"null";var args1=["humanName","throwBindingError","invoker","fn","runDestructors","fromRetWire","toClassParamWire"];if(isClassMethodFunc){invokerFnBody+=`var thisWired = toClassParamWire(${dtorStack}, this);\\n`}for(var i=0;i<argCount;++i){var argName=`toArg${i}Wire`;invokerFnBody+=`var arg${i}Wired = ${argName}(${dtorStack}, arg${i});\\n`;args1.push(argName)}invokerFnBody+=(returns||isAsync?"var rv = ":"")+`invoker(${argsListWired});\\n`;if(needsDestructorStack){invokerFnBody+="runDestructors(destructors);\\n"}else{for(var i=isClassMethodFunc?1:2;i<argTypes.length;++i){var paramName=i===1?"thisWired":"arg"+(i-2)+"Wired";if(argTypes[i].destructorFunction!==null){invokerFnBody+=`${paramName}_dtor(${paramName});\\n`;args1.push(`${paramName}_dtor`)}}}if(returns){invokerFnBody+="var ret = fromRetWire(rv);\\n"+"return ret;\\n"}else{}invokerFnBody+="}\\n";args1.push("checkArgCount","minArgs","maxArgs");invokerFnBody=`if (arguments.length !== ${args1.length}){ throw new Error(humanName + "Expected ${args1.length} closure arguments " + arguments.length + " given."); }\\n${invokerFnBody}`;return new Function(args1,invokerFnBody)}';

// The same factory without code generation: craftInvokerFunction (unchanged)
// calls it with the same closure arguments in the same order: humanName,
// throwBindingError, invoker, fn, runDestructors, fromRetWire,
// toClassParamWire, one toWireType per argument, the destructor functions of
// `this` and the arguments that have one (only without a destructor stack),
// checkArgCount, minArgs, maxArgs. The arrays are made per call, so a bound
// function re-entered from a callback keeps its own.
const PATCHED_JS_INVOKER = `function createJsInvoker(argTypes,isClassMethodFunc,returns,isAsync){
var needsDestructorStack=usesDestructorStack(argTypes);var argCount=argTypes.length-2;
var dtorIndices=[];if(!needsDestructorStack){for(var i=isClassMethodFunc?1:2;i<argTypes.length;++i){if(argTypes[i].destructorFunction!==null)dtorIndices.push(i)}}
var closureCount=7+argCount+dtorIndices.length+3;var wiredOffset=isClassMethodFunc?0:1;
return function(humanName,throwBindingError,invoker,fn,runDestructors,fromRetWire,toClassParamWire){
if(arguments.length!==closureCount){throw new Error(humanName+"Expected "+closureCount+" closure arguments "+arguments.length+" given.")}
var toArgWire=Array.prototype.slice.call(arguments,7,7+argCount);var dtors=Array.prototype.slice.call(arguments,7+argCount,7+argCount+dtorIndices.length);
var checkArgCount=arguments[closureCount-3],minArgs=arguments[closureCount-2],maxArgs=arguments[closureCount-1];
return function(...args){checkArgCount(args.length,minArgs,maxArgs,humanName,throwBindingError);
var destructors=needsDestructorStack?[]:null;var wired=new Array(argCount+2-wiredOffset);wired[0]=fn;
if(isClassMethodFunc){wired[1]=toClassParamWire(destructors,this)}
for(var i=0;i<argCount;++i){wired[i+2-wiredOffset]=toArgWire[i](destructors,args[i])}
var rv=invoker(...wired);
if(needsDestructorStack){runDestructors(destructors)}else{for(var d=0;d<dtorIndices.length;++d){dtors[d](wired[dtorIndices[d]-wiredOffset])}}
if(returns){return fromRetWire(rv)}}}}`;

const ORIGINAL_EMVAL_INVOKER = 'var __emval_create_invoker=(argCount,argTypesPtr,kind)=>{var GenericWireTypeSize=8;var[retType,...argTypes]=emval_lookupTypes(argCount,argTypesPtr);var toReturnWire=retType.toWireType.bind(retType);var argFromPtr=argTypes.map(type=>type.readValueFromPointer.bind(type));argCount--;var captures={toValue:Emval.toValue};var args=argFromPtr.map((argFromPtr,i)=>{var captureName=`argFromPtr${i}`;captures[captureName]=argFromPtr;return`${captureName}(args${i?"+"+i*GenericWireTypeSize:""})`});var functionBody;switch(kind){case 0:functionBody="toValue(handle)";break;case 2:functionBody="new (toValue(handle))";break;case 3:functionBody="";break;case 1:captures["getStringOrSymbol"]=getStringOrSymbol;functionBody="toValue(handle)[getStringOrSymbol(methodName)]";break}functionBody+=`(${args})`;if(!retType.isVoid){captures["toReturnWire"]=toReturnWire;captures["emval_returnValue"]=emval_returnValue;functionBody=`return emval_returnValue(toReturnWire, destructorsRef, ${functionBody})`}functionBody=`return function (handle, methodName, destructorsRef, args) {\\n${functionBody}\\n}`;var invokerFunction=new Function(Object.keys(captures),functionBody)(...Object.values(captures));var functionName=`methodCaller<(${argTypes.map(t=>t.name)}) => ${retType.name}>`;return emval_addMethodCaller(createNamedFunction(functionName,invokerFunction))};';

// kind 0: call the value; 1: call its method `methodName` (with it as this);
// 2: construct it; 3: a cast (the generated code was a parenthesised comma
// expression: its value is the last argument). As in the generated code, the
// callee is looked up before the arguments are read.
const PATCHED_EMVAL_INVOKER = `var __emval_create_invoker=(argCount,argTypesPtr,kind)=>{var GenericWireTypeSize=8;var[retType,...argTypes]=emval_lookupTypes(argCount,argTypesPtr);var toReturnWire=retType.toWireType.bind(retType);var argFromPtr=argTypes.map(type=>type.readValueFromPointer.bind(type));argCount--;
var invokerFunction=function(handle,methodName,destructorsRef,args){var target,self;
if(kind===0||kind===2){target=Emval.toValue(handle)}else if(kind===1){self=Emval.toValue(handle);target=self[getStringOrSymbol(methodName)]}
var values=new Array(argFromPtr.length);for(var i=0;i<argFromPtr.length;++i){values[i]=argFromPtr[i](args+i*GenericWireTypeSize)}
var result;switch(kind){case 0:result=target(...values);break;case 1:result=Reflect.apply(target,self,values);break;case 2:result=new target(...values);break;case 3:result=values[values.length-1];break}
if(!retType.isVoid){return emval_returnValue(toReturnWire,destructorsRef,result)}};
var functionName=\`methodCaller<(\${argTypes.map(t=>t.name)}) => \${retType.name}>\`;return emval_addMethodCaller(createNamedFunction(functionName,invokerFunction))};`;

function fail(message) {
  console.error(`patch_jsimgui_loader: ${message}`);
  process.exit(1);
}

if (!fs.existsSync(source)) fail(`${source} is missing: run npm ci in web/`);
// latin1 maps each byte to one character and back: the embedded wasm stays byte for byte.
let text = fs.readFileSync(source).toString('latin1');
for (const [name, original, patched] of [['createJsInvoker', ORIGINAL_JS_INVOKER, PATCHED_JS_INVOKER],
                                          ['__emval_create_invoker', ORIGINAL_EMVAL_INVOKER, PATCHED_EMVAL_INVOKER]]) {
  const at = text.indexOf(original);
  if (at < 0) fail(`${name}: the expected Emscripten code was not found in ${source} (a different jsimgui?): revisit this patch`);
  if (text.indexOf(original, at + 1) >= 0) fail(`${name}: found more than once in ${source}`);
  text = text.slice(0, at) + patched + text.slice(at + original.length);
}
const leftovers = [/\bnew\s+Function\b/, /(^|[^\w$.])Function\s*\(/, /(^|[^\w$.])eval\s*\(/]
  .map((pattern) => text.match(pattern)).filter(Boolean);
if (leftovers.length) fail(`code generation is left after patching: ${leftovers.map((m) => JSON.stringify(m[0])).join(', ')}`);

fs.mkdirSync(path.dirname(target), { recursive: true });
fs.writeFileSync(target, Buffer.from(text, 'latin1'));
console.log(`build/app/jsimgui/loader-extensions.js: jsimgui's loader without new Function (2 code paths patched)`);
